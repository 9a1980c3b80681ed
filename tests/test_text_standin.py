"""The text API stand-in, through the official openai client, and its command-line home."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import jsonschema
import openai
import pytest

from calls.standin.answers import fill_schema, summary_text
from calls.standin.text_api import TextApiOptions, TextApiStandin

from .servers import ROOT, OutputReader

HEADER = "Call from Jordan Demo (+15550100001) answered by the agent 'Demo receptionist', 9 s; ended: {ended}."
TRANSCRIPT = (
    HEADER.format(ended="the caller hung up")
    + "\nNote.\n\nTranscript:\nAgent: Hello [interrupted]\nCaller: I need a plumber.\nAgent: Sure.\nCaller: Thanks."
)
# The demo's fields (seed_demo), as extraction_schema() sends them.
DEMO_SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": ["string", "null"], "description": "Why the caller called, in a few words."},
        "callback_number": {
            "type": ["string", "null"],
            "description": "A number the caller asked to be called back on, if any.",
        },
        "follow_up_needed": {"type": ["boolean", "null"], "description": "Whether staff must get back to the caller."},
    },
    "required": ["reason", "callback_number", "follow_up_needed"],
    "additionalProperties": False,
}


def transcript(*lines: str, ended: str = "the caller hung up") -> str:
    return "\n".join([HEADER.format(ended=ended), "Note.", "", "Transcript:", *lines])


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
    assert (
        summary.output_text
        == summary_text(TRANSCRIPT)
        == (
            'Jordan Demo called and said: "I need a plumber." The agent answered: "Sure." '
            "The caller talked over the agent 1 time(s). The call ended: the caller hung up."
        )
    )
    answer = json.loads(extraction.output_text)
    jsonschema.validate(answer, schema)
    assert answer == {"reason": "I need a plumber", "urgent": False, "level": None, "turns": 0}
    assert summary.usage.total_tokens > 0 and standin.requests[0].authorization == "Bearer placeholder"


def test_the_demo_call_gets_a_short_reason_no_invented_callback_number_and_no_follow_up():
    text = transcript(
        "Agent: Hello! Thanks for calling. How can I help you today?",
        "Caller: Hi, what are your opening hours?",
        "Agent: We are open from nine to six, Monday to Saturday. Anything else?",
    )
    answer = fill_schema(DEMO_SCHEMA, text)
    jsonschema.validate(answer, DEMO_SCHEMA)
    assert answer == {"reason": "What are your opening hours", "callback_number": None, "follow_up_needed": False}


@pytest.mark.parametrize(
    ("said", "number", "follow_up"),
    [
        ("My boiler is leaking, call me back on (555) 010-0199 please.", "(555) 010-0199", True),
        ("Can someone call me back? It's about my invoice.", "+15550100001", True),  # their own number
        ("Could you leave a message for Sam? Thanks.", None, True),
        ("Just checking you are open on Saturday.", None, False),
    ],
)
def test_a_phone_number_field_gets_a_number_said_the_callers_own_or_nothing(said, number, follow_up):
    answer = fill_schema(DEMO_SCHEMA, transcript(f"Caller: {said}", "Agent: Sure."))
    jsonschema.validate(answer, DEMO_SCHEMA)
    assert (answer["callback_number"], answer["follow_up_needed"]) == (number, follow_up)
    assert len(answer["reason"].split()) <= 12 and not answer["reason"].startswith(("Hi", "Hello"))


def test_each_kind_of_field_gets_a_value_of_its_kind_read_from_the_call():
    schema = {
        "type": "object",
        "properties": {
            "caller_name": {"type": ["string", "null"], "description": "The caller's name."},
            "email": {"type": ["string", "null"], "description": "Their email address."},
            "is_emergency": {"type": ["boolean", "null"], "description": "An emergency?"},
            "was_interrupted": {"type": "boolean"},
            "people": {"type": ["number", "null"], "description": "How many people are affected."},
            "urgency": {"type": ["string", "null"], "enum": ["low", "high", None]},
            "topics": {"type": "array", "items": {"type": "string"}},
        },
    }
    text = transcript(
        "Agent: Hello [interrupted]",
        "Caller: It's an emergency, high water in the cellar, 3 of us here. Mail me at jo@example.com.",
    )
    answer = fill_schema(schema, text)
    jsonschema.validate(answer, schema)
    assert answer == {
        "caller_name": "Jordan Demo",
        "email": "jo@example.com",
        "is_emergency": True,
        "was_interrupted": True,
        "people": 3,
        "urgency": "high",
        "topics": ["It's an emergency, high water in the cellar, 3 of us here"],
    }
    quiet = fill_schema(schema, transcript("Agent: Hello.", "Caller: Bye."))
    assert (quiet["email"], quiet["is_emergency"], quiet["people"], quiet["urgency"]) == (None, False, None, None)


def test_a_staff_ended_call_is_summarised_as_ended_by_staff_not_as_an_interruption():
    text = transcript(
        "Agent: Hello! Thanks for calling.",
        "Caller: Hi, what are your opening hours?",
        "Agent: We are open from nine [cut off as the call ended]",
        ended="a staff member hung up (not the caller)",
    )
    summary = summary_text(text)
    assert summary.endswith("The call ended: a staff member hung up (not the caller).")
    assert "interrupt" not in summary and "talked over" not in summary and "cut off" not in summary


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


def test_fill_schema_handles_nesting_and_text_without_a_header():
    schema = {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "integer"}}}}
    assert fill_schema(schema, "Caller: one\nCaller: 2 of us") == {"a": [2]}
    assert summary_text("Caller: Hello there") == 'An unknown caller called and said: "Hello there".'


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
