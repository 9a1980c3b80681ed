"""The text API stand-in, through the official openai client, and its command-line home."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import openai
import pytest

from calls.standin.text_api import TextApiOptions, TextApiStandin, fill_schema, summary_text

from .servers import ROOT, OutputReader

TRANSCRIPT = "Header line\nAgent: Hello [interrupted]\nCaller: I need a plumber.\nAgent: Sure.\nCaller: Thanks."


def ask(url: str, **options) -> openai.types.responses.Response:
    client = openai.OpenAI(api_key="placeholder", base_url=url, max_retries=0)
    return client.responses.create(model="gpt-4o-mini", input=TRANSCRIPT, **options)


async def test_answers_a_summary_and_json_fitting_the_schema():
    schema = {
        "type": "object",
        "properties": {
            "reason": {"type": ["string", "null"]},
            "urgent": {"type": ["boolean", "null"]},
            "level": {"type": ["string", "null"], "enum": ["low", "high", None]},
            "turns": {"type": "number"},
        },
        "required": ["reason", "urgent", "level", "turns"],
        "additionalProperties": False,
    }
    text = {"format": {"type": "json_schema", "name": "extraction", "schema": schema, "strict": True}}
    async with TextApiStandin() as standin:
        summary = await asyncio.to_thread(ask, standin.url)
        extraction = await asyncio.to_thread(ask, standin.url, text=text)
    assert summary.output_text == summary_text(TRANSCRIPT)
    assert summary.output_text.startswith('The caller said: "I need a plumber."') and "1 time(s)" in summary.output_text
    assert json.loads(extraction.output_text) == {
        "reason": "I need a plumber.",
        "urgent": True,
        "level": "low",
        "turns": 2,
    }
    assert summary.usage.total_tokens > 0 and standin.requests[0].authorization == "Bearer placeholder"


async def test_fault_options_fail_or_drop():
    async with TextApiStandin(options=TextApiOptions(fail_status=503)) as standin:
        with pytest.raises(openai.InternalServerError):
            await asyncio.to_thread(ask, standin.url)
        standin.options = TextApiOptions(drop=True)
        with pytest.raises(openai.APIConnectionError):
            await asyncio.to_thread(ask, standin.url)


async def test_other_paths_are_404():
    async with TextApiStandin() as standin:
        client = openai.OpenAI(api_key="placeholder", base_url=standin.url, max_retries=0)
        with pytest.raises(openai.NotFoundError):
            await asyncio.to_thread(client.chat.completions.create, model="m", messages=[])


def test_fill_schema_handles_nesting():
    schema = {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "integer"}}}}
    assert fill_schema(schema, "Caller: one\nCaller: two") == {"a": [2]}


def test_the_command_serves_the_text_api_beside_the_websocket():
    command = [sys.executable, "manage.py", "realtime_standin", "--port", "0", "--text-port", "0"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = OutputReader(process)
        assert output.wait_for("Text API stand-in listening on http://127.0.0.1:", 20), output.tail()
        assert output.wait_for("Realtime stand-in listening on ws://127.0.0.1:"), output.tail()
    finally:
        process.terminate()
        process.wait(10)


def test_the_text_api_stand_in_imports_no_django():
    code = "import sys, calls.standin.text_api; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
