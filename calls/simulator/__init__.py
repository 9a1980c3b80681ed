"""A simulated Twilio for tests, demos and load: signed webhook, paced Media Stream.

Plain asyncio, no Django import. Typical use::

    result = await SimulatedCall(base_url, auth_token).run(CallScript(caller_audio=ulaw))
"""

from __future__ import annotations

from calls.simulator.carrier import SIMULATED_ACCOUNT_SID, SimulatedCall, run_many
from calls.simulator.playback import (
    BYTES_PER_MS,
    FRAME_BYTES,
    FRAME_MS,
    PlaybackQueue,
    Segment,
)
from calls.simulator.results import CallResult, ClearRecord, MarkEcho
from calls.simulator.script import CallerTurn, CallScript
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
    "FRAME_BYTES",
    "FRAME_MS",
    "SIMULATED_ACCOUNT_SID",
    "CallResult",
    "CallScript",
    "CallerTurn",
    "Clear",
    "ClearRecord",
    "Malformed",
    "Mark",
    "MarkEcho",
    "PlayAudio",
    "PlaybackQueue",
    "Refusal",
    "Segment",
    "ServerMessage",
    "SimulatedCall",
    "StreamInstruction",
    "WebhookPoster",
    "WebhookResponse",
    "parse_server_message",
    "parse_twiml",
    "requests_poster",
    "run_many",
    "sign",
]
