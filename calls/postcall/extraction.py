"""Extraction fields as a strict JSON Schema for the model, and the model's answer checked against them."""

from __future__ import annotations

import math
from typing import Any

from calls.models import ExtractionField, ExtractionKind

MAX_TEXT_CHARS = 1000
_JSON_TYPES = {
    ExtractionKind.TEXT: "string",
    ExtractionKind.BOOLEAN: "boolean",
    ExtractionKind.NUMBER: "number",
    ExtractionKind.CHOICE: "string",
}


def extraction_schema(fields: list[ExtractionField]) -> dict[str, Any]:
    """Strict structured outputs need every property required and no others; null means "not said"."""
    properties = {field.name: _property(field) for field in fields}
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _property(field: ExtractionField) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": [_JSON_TYPES[field.kind], "null"], "description": field.description}
    if field.kind == ExtractionKind.CHOICE:
        prop["enum"] = [*field.choice_list(), None]
    return prop


def extraction_clean(*, fields: list[ExtractionField], raw: object) -> tuple[dict[str, Any], list[str]]:
    """The answer reduced to the defined fields with values of the right kind, and the names rejected.

    A wrong value becomes null rather than failing the step: the rest of the answer is still useful.
    """
    data = raw if isinstance(raw, dict) else {}
    clean: dict[str, Any] = {}
    rejected: list[str] = []
    for field in fields:
        value = data.get(field.name)
        checked = None if value is None else _check(field, value)
        if value is not None and checked is None:
            rejected.append(field.name)
        clean[field.name] = checked
    return clean, rejected


def _check(field: ExtractionField, value: object) -> Any:
    if field.kind == ExtractionKind.BOOLEAN:
        return value if isinstance(value, bool) else None
    if field.kind == ExtractionKind.NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return value if ok else None
    if not isinstance(value, str):
        return None
    if field.kind == ExtractionKind.CHOICE:
        by_folded = {choice.casefold(): choice for choice in field.choice_list()}
        return by_folded.get(value.strip().casefold())
    return value.strip()[:MAX_TEXT_CHARS] or None
