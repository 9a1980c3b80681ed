"""A simulated carrier (Twilio, Plivo) for tests, demos and load: signed webhooks, paced stream.

Plain asyncio, no Django import. Typical use::

    result = await SimulatedCall(base_url, auth_token).run(CallScript(caller_audio=ulaw))
    result = await SimulatedCall(base_url, plivo_token, carrier="plivo").run(script)
"""

from __future__ import annotations

from calls.simulator.carrier import DIALECTS, SimulatedCall, dialect_for, run_many
from calls.simulator.dialect import CallInfo, Dialect, StreamContext, WebhookRequest
from calls.simulator.playback import (
    BYTES_PER_MS,
    FRAME_BYTES,
    FRAME_MS,
    PlaybackQueue,
    Segment,
)
from calls.simulator.plivo_dialect import PlivoDialect, parse_plivo_server_message, parse_plivo_xml, plivo_sign
from calls.simulator.results import CallResult, ClearRecord, MarkEcho
from calls.simulator.script import CallerTurn, CallScript
from calls.simulator.twilio_dialect import SIMULATED_ACCOUNT_SID, TwilioDialect
from calls.simulator.webhook import (
    Refusal,
    StreamInstruction,
    WebhookPoster,
    WebhookResponse,
    parse_twiml,
    requests_poster,
    sign,
)
from calls.simulator.wire import (
    Clear,
    Malformed,
    Mark,
    PlayAudio,
    ServerMessage,
    parse_server_message,
)

__all__ = [
    "BYTES_PER_MS",
    "DIALECTS",
    "FRAME_BYTES",
    "FRAME_MS",
    "SIMULATED_ACCOUNT_SID",
    "CallInfo",
    "CallResult",
    "CallScript",
    "CallerTurn",
    "Clear",
    "ClearRecord",
    "Dialect",
    "Malformed",
    "Mark",
    "MarkEcho",
    "PlayAudio",
    "PlaybackQueue",
    "PlivoDialect",
    "Refusal",
    "Segment",
    "ServerMessage",
    "SimulatedCall",
    "StreamContext",
    "StreamInstruction",
    "TwilioDialect",
    "WebhookPoster",
    "WebhookRequest",
    "WebhookResponse",
    "dialect_for",
    "parse_plivo_server_message",
    "parse_plivo_xml",
    "parse_server_message",
    "parse_twiml",
    "plivo_sign",
    "requests_poster",
    "run_many",
    "sign",
]
