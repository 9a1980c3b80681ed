"""Staff-defined HTTP tools: a URL template, an allowlist of hosts, bounded responses."""

from __future__ import annotations

import asyncio
import json
import string
from urllib.parse import quote, urlsplit

import requests
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .models import HttpTool
from .registry import JSON, Tool, ToolContext, ToolResult


def allowed_hosts(row: HttpTool) -> set[str]:
    return {host.strip().lower() for host in row.allowed_hosts.split(",") if host.strip()}


def placeholders(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def template_errors(row: HttpTool) -> dict[str, str]:
    """What is wrong with a tool's definition, by field (empty when it is usable)."""
    errors: dict[str, str] = {}
    try:
        Draft202012Validator.check_schema(row.parameters or {})
    except SchemaError as exc:
        errors["parameters"] = f"not a valid JSON Schema: {exc.message}"
    try:
        placeholders(row.url_template)
    except ValueError:
        errors["url_template"] = "unbalanced { } in the URL template"
    host = urlsplit(row.url_template.split("{", 1)[0]).hostname or ""
    if not allowed_hosts(row):
        errors["allowed_hosts"] = "list at least one host"
    elif host and host.lower() not in allowed_hosts(row):
        errors["allowed_hosts"] = f"the URL's host {host} is not in the allowlist"
    if urlsplit(row.url_template).scheme not in {"http", "https"}:
        errors["url_template"] = "the URL must start with https:// (or http://)"
    return errors


def render_url(template: str, arguments: JSON) -> tuple[str, JSON]:
    """The URL with placeholders filled (URL-quoted), and the arguments it did not use."""
    used = placeholders(template)
    values = {name: quote(str(arguments.get(name, "")), safe="") for name in used}
    return template.format(**values), {k: v for k, v in arguments.items() if k not in used}


def _request(row: HttpTool, url: str, rest: JSON) -> JSON:
    headers = {str(k): str(v) for k, v in (row.headers or {}).items()}
    kwargs = {"params": rest} if row.method == "GET" else {"json": rest}
    with requests.request(
        row.method, url, headers=headers, timeout=row.timeout_seconds, stream=True, allow_redirects=False, **kwargs
    ) as response:
        body = response.raw.read(row.max_response_bytes + 1, decode_content=True)
    truncated = len(body) > row.max_response_bytes
    text = body[: row.max_response_bytes].decode("utf-8", "replace")
    try:
        payload = json.loads(text) if not truncated else text
    except ValueError:
        payload = text
    return {"status": response.status_code, "body": payload, "truncated": truncated}


def http_tool(row: HttpTool) -> Tool:
    """A registry Tool for a staff-defined HTTP tool."""

    async def call(arguments: JSON, context: ToolContext) -> ToolResult:
        url, rest = render_url(row.url_template, arguments)
        host = (urlsplit(url).hostname or "").lower()
        if host not in allowed_hosts(row):
            return ToolResult({"error": f"host {host or '?'} is not allowed for this tool"})
        try:
            return ToolResult(await asyncio.to_thread(_request, row, url, rest))
        except requests.RequestException as exc:  # the message may carry the URL's secrets: type only
            return ToolResult({"error": f"request failed ({type(exc).__name__})"})

    return Tool(row.name, row.description, row.parameters or {"type": "object"}, call, row.timeout_seconds + 1.0)
