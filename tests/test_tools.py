"""The tool framework and the built-in tools, with Django."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
import wave
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from agents.hold import mulaw_byte, soft_tone, wav_to_mulaw
from calls import services as call_services
from calls.bridge.effects import HangUpAfterSpeech, SetNoiseReduction, TransferAfterSpeech
from calls.models import DeliveryStatus, EmailDelivery
from calls.postcall.dispatch import dispatcher
from calls.tasks import send_tool_email
from calls.tool_emails import tool_email_queue
from tools.dispatch import run_tool
from tools.http_tool import http_tool, template_errors
from tools.models import HttpTool, TakenMessage, ToolSetting
from tools.registry import BUILTIN, Tool, ToolContext, ToolResult
from tools.services import agent_session_preview, agent_toolbox

from .fakes import RefusingEmailBackend

SNAPSHOT = Path(__file__).parent / "snapshots" / "tool_schemas.json"


def context(**overrides) -> ToolContext:
    values = {"call_id": 0, "call_sid": "CA1", "agent_id": 0, "caller_id": None, "caller_number": "+15550100001"}
    return ToolContext(**(values | overrides))


def run(tool, arguments, ctx=None, name=None):
    return asyncio.run(run_tool(tool, name or (tool.name if tool else "nope"), arguments, ctx or context()))


def test_built_in_schemas_match_the_snapshot():
    current = {
        name: {"description": t.description, "parameters": t.parameters, "settings": t.settings_schema}
        for name, t in sorted(BUILTIN.items())
    }
    assert current == json.loads(SNAPSHOT.read_text()), "update tests/snapshots/tool_schemas.json deliberately"


# --- dispatch: every failure is a JSON error for the model, never an exception ------------------


async def ok_handler(arguments, ctx):
    return ToolResult({"echo": arguments})


async def broken_handler(arguments, ctx):
    raise RuntimeError("secret-ish detail that must not reach the model")


async def slow_handler(arguments, ctx):
    await asyncio.sleep(5)  # the point of the test: longer than the tool's timeout
    return ToolResult({})


SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


@pytest.mark.parametrize(
    ("tool", "arguments", "error"),
    [
        (None, "{}", "unknown tool 'nope'"),
        (Tool("t", "d", SCHEMA, ok_handler), "{not json", "arguments are not valid JSON"),
        (Tool("t", "d", SCHEMA, ok_handler), '{"n": "x"}', "invalid arguments: n: 'x' is not of type 'integer'"),
        (Tool("t", "d", SCHEMA, broken_handler), '{"n": 1}', "t failed (RuntimeError)"),
        (Tool("t", "d", SCHEMA, slow_handler, timeout_s=0.05), '{"n": 1}', "t timed out after 0.05 s"),
    ],
    ids=["unknown", "bad-json", "invalid-args", "exception", "timeout"],
)
def test_dispatch_failures_become_json_errors(tool, arguments, error):
    outcome = run(tool, arguments)
    assert json.loads(outcome.output) == {"error": error}
    assert outcome.error == error and outcome.effect is None


def test_dispatch_success_carries_output_and_duration():
    outcome = run(Tool("t", "d", SCHEMA, ok_handler), '{"n": 2}')
    assert json.loads(outcome.output) == {"echo": {"n": 2}} and outcome.error == ""


# --- built-ins ------------------------------------------------------------------------------


def test_end_call_and_mic_distance_ask_the_call_for_effects():
    assert run(BUILTIN["end_call"], "{}").effect == HangUpAfterSpeech()
    assert run(BUILTIN["update_mic_distance"], '{"distance": "far"}').effect == SetNoiseReduction("far_field")
    assert run(BUILTIN["update_mic_distance"], '{"distance": "loud"}').error.startswith("invalid arguments")


def test_transfer_call_needs_a_configured_carrier_and_a_known_target():
    settings = {"targets": {"Front desk": "+15550100100"}}
    assert (
        "not available" in run(BUILTIN["transfer_call"], '{"target": "front desk"}', context(settings=settings)).error
    )
    ready = context(settings=settings, can_transfer=True)
    assert run(BUILTIN["transfer_call"], '{"target": "front desk"}', ready).effect == TransferAfterSpeech(
        "+15550100100", "Front desk"
    )
    assert "choose one of: Front desk" in run(BUILTIN["transfer_call"], '{"target": "boss"}', ready).error


def sent_mail() -> list:
    """The messages sent once the post-call threads (which send tool emails) are idle."""
    assert dispatcher.wait_idle(30)
    return mail.outbox


def mail_call(demo_number, demo_caller, *, caller_email="", group_emails="", call_sid="CA-mail"):
    demo_caller.email = caller_email
    demo_caller.save()
    demo_caller.group.notify_emails = group_emails
    demo_caller.group.save()
    return call_services.call_receive(call_sid=call_sid, from_number=demo_caller.number, to_number=demo_number.number)


def send_email(call, tool_call_id: str = "call_1", recipient: str = "caller", **arguments):
    arguments = {"subject": "Your quote", "body": "It is 42.\n\nThanks for calling."} | arguments
    ctx = context(call_id=call.pk, tool_call_id=tool_call_id, settings={"recipient": recipient})
    return run(BUILTIN["send_email"], json.dumps(arguments), ctx)


@pytest.mark.django_db(transaction=True)
def test_send_email_goes_to_the_caller_or_says_why_not(demo_number, demo_caller):
    call = mail_call(demo_number, demo_caller)
    refused = send_email(call)
    assert refused.error == "no email address is configured for this caller (caller)"
    mail_call(demo_number, demo_caller, caller_email="jordan@example.com")
    sent = send_email(call)
    assert json.loads(sent.output) == {"queued": True, "recipients": 1}
    (message,) = sent_mail()
    assert message.to == ["jordan@example.com"] and message.subject == "Your quote"
    assert message.body == "It is 42.\n\nThanks for calling."
    html = message.alternatives[0][0]
    assert "<p>It is 42.</p>" in html and "<p>Thanks for calling.</p>" in html


@pytest.mark.django_db(transaction=True)
def test_model_and_caller_text_arrives_escaped_never_as_markup(demo_number, demo_caller):
    call = mail_call(demo_number, demo_caller, caller_email="jordan@example.com")
    body = '<script>alert("x")</script> Pay here: <a href="https://evil.example/pay">your bank</a> <img src=x>'
    send_email(call, subject="Quote\r\nBcc: everyone@example.com <b>now</b>", body=body)
    (message,) = sent_mail()
    html = message.alternatives[0][0]
    assert "<script" not in html and "<a " not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;a href=&quot;https://evil.example/pay&quot;&gt;your bank&lt;/a&gt;" in html
    assert message.body == body  # the text part is the text itself
    # A header holds no line break: no header can be smuggled in through the subject.
    assert message.subject == "Quote Bcc: everyone@example.com <b>now</b>"
    assert message.bcc == [] and message.to == ["jordan@example.com"]


@pytest.mark.django_db(transaction=True)
def test_a_repeated_tool_call_does_not_email_twice(demo_number, demo_caller):
    call = mail_call(demo_number, demo_caller, group_emails="desk@example.com, owner@example.com")
    first = send_email(call, tool_call_id="call_A", recipient="group")
    again = send_email(call, tool_call_id="call_A", recipient="group")
    assert json.loads(first.output) == json.loads(again.output) == {"queued": True, "recipients": 2}
    assert sorted(m.to[0] for m in sent_mail()) == ["desk@example.com", "owner@example.com"]
    send_email(call, tool_call_id="call_B", recipient="group")  # a new tool call is a new email
    assert len(sent_mail()) == 4
    deliveries = EmailDelivery.objects.filter(call=call).values_list("tool_call_id", "recipient", "status", "attempts")
    assert sorted(deliveries) == [
        (tool_call_id, recipient, DeliveryStatus.SENT, 1)
        for tool_call_id in ("call_A", "call_B")
        for recipient in ("desk@example.com", "owner@example.com")
    ]


@pytest.mark.django_db(transaction=True)
def test_each_recipient_gets_a_message_of_their_own(demo_number, demo_caller):
    call = mail_call(demo_number, demo_caller, group_emails="desk@example.com; Owner@Example.com, desk@example.com")
    send_email(call, recipient="group")
    messages = sent_mail()
    assert sorted(m.to for m in messages) == [["desk@example.com"], ["owner@example.com"]]
    assert all(m.recipients() == m.to and "," not in str(m.message()["To"]) for m in messages)


@pytest.mark.django_db(transaction=True)
def test_the_email_is_enqueued_only_when_the_transaction_commits(demo_number, demo_caller):
    call = mail_call(demo_number, demo_caller, caller_email="jordan@example.com")
    queue = partial(tool_email_queue, call_id=call.pk, mode="caller", subject="s", body="b")
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(tool_call_id="rolled_back")
        raise RuntimeError("the surrounding work failed")
    with transaction.atomic():
        queue(tool_call_id="committed")
        assert sent_mail() == []  # nothing left before the commit
    assert [m.to for m in sent_mail()] == [["jordan@example.com"]]
    assert list(EmailDelivery.objects.values_list("tool_call_id", flat=True)) == ["committed"]


@pytest.mark.django_db(transaction=True)
def test_a_refused_recipient_is_retried_alone_a_bounded_number_of_times(demo_number, demo_caller, settings):
    settings.EMAIL_BACKEND = "tests.fakes.RefusingEmailBackend"
    settings.POSTCALL_RETRY_DELAY = 0
    RefusingEmailBackend.refused, RefusingEmailBackend.attempts = {"owner@example.com"}, []
    call = mail_call(demo_number, demo_caller, group_emails="desk@example.com, owner@example.com")
    send_email(call, recipient="group")
    assert [m.to for m in sent_mail()] == [["desk@example.com"]]
    tries = 1 + send_tool_email.max_retries
    assert RefusingEmailBackend.attempts == ["desk@example.com"] + ["owner@example.com"] * tries
    failed = EmailDelivery.objects.get(recipient="owner@example.com")
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, tries)
    assert "SMTPRecipientsRefused" in failed.error


@pytest.mark.django_db(transaction=True)
def test_take_message_is_stored_for_staff_and_emailed_to_the_agent_s_recipients(demo_number, demo_caller):
    demo_number.agent.notify_emails = "desk@example.com, owner@example.com"
    demo_number.agent.save()
    call = call_services.call_receive(call_sid="CA-msg", from_number=demo_caller.number, to_number=demo_number.number)
    said = "Call me <b>back</b> <a href='https://evil.example'>here</a>"
    ctx = context(call_id=call.pk, tool_call_id="call_msg")
    outcome = run(BUILTIN["take_message"], json.dumps({"message": said, "name": "<i>Jo</i>"}), ctx)
    assert json.loads(outcome.output) == {"saved": True}
    message = TakenMessage.objects.get()
    assert (message.call_id, message.caller_name, message.callback_number) == (call.pk, "<i>Jo</i>", "+15550100001")
    emails = sent_mail()
    assert sorted(m.to for m in emails) == [["desk@example.com"], ["owner@example.com"]]
    for email in emails:
        assert said in email.body
        html = email.alternatives[0][0]
        assert "<b>" not in html and "<a " not in html and "<i>" not in html
        assert "Call me &lt;b&gt;back&lt;/b&gt;" in html and "&lt;i&gt;Jo&lt;/i&gt;" in html


# --- which tools an agent has ---------------------------------------------------------------


@pytest.mark.django_db
def test_tool_settings_are_validated_against_the_tool_schema(demo_agent):
    with pytest.raises(ValidationError, match="targets"):
        ToolSetting(agent=demo_agent, tool="transfer_call", settings={"targets": {"x": "not-a-number"}}).full_clean()
    with pytest.raises(ValidationError, match="No built-in tool"):
        ToolSetting(agent=demo_agent, tool="launch_rockets").full_clean()
    ToolSetting(agent=demo_agent, tool="transfer_call", settings={"targets": {"desk": "+15550100100"}}).full_clean()


@pytest.mark.django_db
def test_the_session_update_carries_exactly_the_enabled_tools(demo_number, demo_caller):
    agent = demo_number.agent
    ToolSetting.objects.create(agent=agent, tool="end_call")
    ToolSetting.objects.create(agent=agent, tool="take_message", enabled=False)
    HttpTool.objects.create(
        agent=agent,
        name="order_status",
        description="Look up an order",
        parameters={"type": "object", "properties": {"id": {"type": "string"}}},
        url_template="https://shop.example.com/orders/{id}",
        allowed_hosts="shop.example.com",
    )
    call_services.call_receive(call_sid="CA-tools", from_number=demo_caller.number, to_number=demo_number.number)
    setup = call_services.bridge_setup(call_sid="CA-tools")
    assert [spec.name for spec in setup.config.tools] == ["end_call", "order_status"]
    assert set(agent_toolbox(agent).tools) == {"end_call", "order_status"}
    preview = json.loads(agent_session_preview(agent))  # what staff see is what is sent
    assert [tool["name"] for tool in preview["session"]["tools"]] == ["end_call", "order_status"]


# --- staff-defined HTTP tools ---------------------------------------------------------------


class Backend(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str]] = []

    def do_GET(self):
        Backend.seen.append((self.command, self.path, self.headers.get("X-Api-Key", "")))
        body = b"x" * 5000 if self.path.startswith("/big") else json.dumps({"status": "shipped"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def backend():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    Backend.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def make_http_tool(host: str, path: str = "/orders/{order_id}", **extra) -> HttpTool:
    return HttpTool(
        name="order_status",
        description="d",
        parameters={"type": "object", "properties": {"order_id": {"type": "string"}}},
        url_template=f"http://{host}{path}",
        headers={"X-Api-Key": "server-side-secret"},
        allowed_hosts="127.0.0.1",
        **extra,
    )


def test_http_tool_fills_the_template_sends_headers_and_returns_json(backend):
    outcome = run(http_tool(make_http_tool(backend)), '{"order_id": "A 1/2"}')
    assert json.loads(outcome.output) == {"status": 200, "body": {"status": "shipped"}, "truncated": False}
    assert Backend.seen == [("GET", "/orders/A%201%2F2", "server-side-secret")]


def test_http_tool_limits_the_response_size(backend):
    outcome = run(http_tool(make_http_tool(backend, "/big", max_response_bytes=100)), "{}")
    result = json.loads(outcome.output)
    assert result["truncated"] is True and len(result["body"]) == 100


def test_http_tool_never_calls_a_host_off_its_allowlist(backend):
    row = make_http_tool(backend.replace("127.0.0.1", "localhost"))
    outcome = run(http_tool(row), '{"order_id": "1"}')
    assert outcome.error == "host localhost is not allowed for this tool"
    assert Backend.seen == []


def test_http_tool_definitions_are_checked():
    row = make_http_tool("api.other.com")
    assert "allowed_hosts" in template_errors(row)
    row = make_http_tool("127.0.0.1")
    row.parameters = {"type": "nonsense"}
    assert "parameters" in template_errors(row)
    assert template_errors(make_http_tool("127.0.0.1")) == {}


# --- wait audio -----------------------------------------------------------------------------


def test_mulaw_encoder_matches_the_g711_reference_points():
    # Values from the ITU reference (checked once against audioop.lin2ulaw over all 65536 samples).

    assert [mulaw_byte(s) for s in (0, -1, 32767, -32768, 1000, -1000)] == [0xFF, 0x7E, 0x80, 0x00, 0xCE, 0x4E]


def wav_bytes(rate: int, seconds: float = 0.5) -> io.BytesIO:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x10" * int(rate * seconds))
    buffer.seek(0)
    return buffer


def test_uploaded_wait_audio_must_be_8k_mono_pcm():
    assert wav_to_mulaw(wav_bytes(8000)) == bytes([mulaw_byte(0x1000)]) * 4000
    with pytest.raises(ValueError, match="8 kHz"):
        wav_to_mulaw(wav_bytes(16000))
    with pytest.raises(ValueError, match="readable"):
        wav_to_mulaw(io.BytesIO(b"not a wav"))


def test_the_table_encoder_agrees_with_the_reference_on_every_16_bit_sample():
    from array import array

    from agents.hold import mulaw_encode

    every = array("h", range(-32768, 32768))
    assert mulaw_encode(every) == bytes(mulaw_byte(s) for s in every)


@pytest.mark.django_db
def test_an_uploaded_wait_audio_is_converted_once_not_at_every_call(demo_agent, settings, tmp_path, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agents import hold

    settings.MEDIA_ROOT = tmp_path
    demo_agent.wait_audio = SimpleUploadedFile("hold.wav", wav_bytes(8000).read(), content_type="audio/wav")
    demo_agent.save()
    conversions = []
    real = hold.wav_to_mulaw
    monkeypatch.setattr(hold, "wav_to_mulaw", lambda file: conversions.append(1) or real(file))
    hold.uploaded_hold_chunks.cache_clear()
    first = call_services.hold_audio_for(demo_agent)
    assert call_services.hold_audio_for(demo_agent) == first
    assert len(conversions) == 1
    assert base64.b64decode(first[0]) == bytes([mulaw_byte(0x1000)]) * 4000


def test_the_default_tone_is_quiet_and_mostly_silence():
    tone = soft_tone(2)
    assert len(tone) == 16000
    assert tone.count(0xFF) > len(tone) * 0.8  # µ-law silence between the pips


@pytest.mark.django_db
def test_http_tool_header_values_never_show_in_the_admin(admin_client, demo_agent):
    tool = HttpTool.objects.create(
        agent=demo_agent,
        name="crm",
        description="d",
        parameters={"type": "object"},
        url_template="https://crm.example.com/x",
        allowed_hosts="crm.example.com",
        headers={"Authorization": "Bearer top-secret-crm-key"},
    )
    page = admin_client.get(f"/admin/tools/httptool/{tool.pk}/change/")
    assert page.status_code == 200
    assert b"top-secret-crm-key" not in page.content and b"Authorization: (hidden)" in page.content


@pytest.mark.django_db
def test_taken_messages_are_listed_for_staff(admin_client):
    TakenMessage.objects.create(caller_name="Ann", callback_number="+15550100002", text="Call me about the boiler")
    page = admin_client.get("/admin/tools/takenmessage/")
    assert b"Call me about the boiler" in page.content


@pytest.mark.django_db
def test_managers_set_up_tools_and_operators_only_read_them(manager, operator):
    assert manager.has_perm("tools.change_toolsetting") and manager.has_perm("tools.add_httptool")
    assert operator.has_perm("tools.view_toolinvocation") and operator.has_perm("tools.change_takenmessage")
    assert not operator.has_perm("tools.change_httptool") and not operator.has_perm("tools.add_toolsetting")
