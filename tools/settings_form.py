"""A built-in tool's settings as form fields generated from its JSON Schema, not a JSON textarea.

One row of the agent's Tools table holds a tool choice and this widget. The widget renders one
group of inputs per tool that has settings (a small script shows only the chosen tool's group;
without it every group shows, each under its tool's name), and reads back the raw strings of all
groups. The form keeps the chosen tool's group, typed by `settings_from_inputs`; the model's
`clean` then validates the result against the schema, so a wrong value is refused with the
schema's message under the field.

Property kinds (the ones our tools use, and the usual small ones): string, integer, number,
boolean, enum, array of strings (one per line), and an object of strings such as transfer
targets (one `name = value` per line).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from .registry import BUILTIN, JSON

SEP = "."  # input names: <settings field name>.<tool>.<property>


def _kind(schema: JSON) -> str:
    if "enum" in schema:
        return "enum"
    kind = schema.get("type", "string")
    if kind == "array":
        return "lines"
    if kind == "object":
        return "pairs"
    return kind if kind in ("integer", "number", "boolean") else "string"


def _as_text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # typed in, shown again with the form's errors
        return value
    if kind == "lines":
        return "\n".join(str(v) for v in value)
    if kind == "pairs":
        return "\n".join(f"{k} = {v}" for k, v in value.items())
    return str(value)


HINTS = {"lines": "One per line.", "pairs": "One per line: name = value."}


def _input(name: str, kind: str, schema: JSON, value: Any) -> SafeString:
    text = _as_text(kind, value)
    if kind == "enum":
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((o, " selected" if str(o) == text else "", o) for o in ["", *schema["enum"]]),
        )
        return format_html('<select name="{}" id="{}">{}</select>', name, name, options)
    if kind == "boolean":
        checked = " checked" if value in (True, "true") else ""
        return format_html('<input type="checkbox" name="{}" id="{}" value="true"{}>', name, name, mark_safe(checked))
    if kind in ("lines", "pairs"):
        return format_html('<textarea name="{}" id="{}" rows="3">{}</textarea>', name, name, text)
    input_type = "number" if kind in ("integer", "number") else "text"
    step = ' step="any"' if kind == "number" else ""
    html = '<input type="{}" name="{}" id="{}" value="{}"{}>'
    return format_html(html, input_type, name, name, text, mark_safe(step))


def _group(name: str, tool: str, schema: JSON, values: JSON) -> SafeString:
    rows = []
    for prop, prop_schema in schema.get("properties", {}).items():
        kind = _kind(prop_schema)
        field_name = SEP.join((name, tool, prop))
        help_text = " ".join(filter(None, [prop_schema.get("description", ""), HINTS.get(kind, "")]))
        default = prop_schema.get("default")
        value = values.get(prop, default)
        label = format_html('<label for="{}">{}</label>', field_name, prop.replace("_", " ").capitalize())
        help_html = format_html('<span class="help">{}</span>', help_text) if help_text else ""
        rows.append(format_html("<div>{}{}{}</div>", label, _input(field_name, kind, prop_schema, value), help_html))
    return format_html(
        '<fieldset data-tool="{}"><legend class="quiet">{}</legend>{}</fieldset>',
        tool,
        tool.replace("_", " "),
        mark_safe("".join(rows)),
    )


def _schemas() -> dict[str, JSON]:
    return {name: tool.settings_schema for name, tool in sorted(BUILTIN.items()) if tool.settings_schema}


class RawInputs(dict):
    """What was typed, {tool: {property: text}}, as opposed to saved settings."""


class ToolSettingsWidget(forms.Widget):
    """Inputs for every tool's settings; `tool` is the row's saved tool, whose values it shows."""

    tool = ""

    class Media:
        js = ["tools/settings_form.js"]

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        values = value if isinstance(value, dict) else {}
        groups = [_group(name, tool, schema, self._values(values, tool)) for tool, schema in _schemas().items()]
        none = format_html('<p class="no-settings quiet" data-tool="">{}</p>', "No settings for this tool.")
        return format_html('<div class="tool-settings">{}{}</div>', none, mark_safe("".join(groups)))

    def _values(self, value: dict, tool: str) -> dict:
        if isinstance(value, RawInputs):
            return value.get(tool, {})
        return value if tool == self.tool else {}

    def value_from_datadict(self, data: Any, files: Any, name: str) -> RawInputs:
        """Every tool's raw inputs, {tool: {property: text}}; the form keeps the chosen tool's."""
        raw = RawInputs()
        for tool, schema in _schemas().items():
            for prop in schema.get("properties", {}):
                key = SEP.join((name, tool, prop))
                if key in data:
                    raw.setdefault(tool, {})[prop] = data[key]
        return raw


def settings_from_inputs(schema: JSON | None, raw: dict[str, str]) -> tuple[JSON, list[str]]:
    """The settings the inputs describe, typed per the schema, and what could not be read. Empty
    inputs are left out, so a property's default applies."""
    settings: JSON = {}
    problems: list[str] = []
    for prop, prop_schema in (schema or {}).get("properties", {}).items():
        text = (raw.get(prop) or "").strip()
        kind = _kind(prop_schema)
        if kind == "boolean":
            settings[prop] = text == "true"
            continue
        if not text:
            continue
        try:
            settings[prop] = _parse(kind, text)
        except ValueError as error:
            problems.append(f"{prop.replace('_', ' ')}: {error}")
    return settings, problems


def _parse(kind: str, text: str) -> Any:
    if kind in ("integer", "number"):
        try:
            return int(text) if kind == "integer" else float(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a {'whole ' if kind == 'integer' else ''}number") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if kind == "lines":
        return lines
    if kind == "pairs":
        pairs = {}
        for line in lines:
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"write “name = value”, not “{line}”")
            pairs[key.strip()] = value.strip()
        return pairs
    return text
