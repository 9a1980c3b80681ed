"""Small builders for driving a CallSession in tests."""

from __future__ import annotations

import base64

from calls.bridge import actions as act
from calls.bridge.config import SessionConfig
from calls.bridge.events import AgentAudio, AgentTranscriptDelta, StreamStarted
from calls.bridge.session import CallSession

CONFIG = SessionConfig(model="gpt-realtime", instructions="You are a helpful receptionist.")


def audio(response_id: str, item_id: str, size: int) -> AgentAudio:
    payload = base64.b64encode(bytes([0x55]) * size).decode()
    return AgentAudio(response_id, item_id, payload, size)


def live_session(*, greet_first: bool = False, greeting: str = "", now: float = 0.0) -> CallSession:
    session = CallSession(CONFIG, greet_first=greet_first, greeting=greeting)
    session.open()
    session.on_telephony(StreamStarted("MZ1", "CA1"), now)
    return session


def of_type(actions: list[act.Action], kind: type) -> list:
    return [a for a in actions if isinstance(a, kind)]


def speak(session: CallSession, response_id: str, item_id: str, chunks: list[int], now: float, text: str = ""):
    """The model streams `chunks` (bytes each) of one item, with `text` as its transcript."""
    marks = []
    if text:
        session.on_model(AgentTranscriptDelta(response_id, item_id, text), now)
    for size in chunks:
        out = session.on_model(audio(response_id, item_id, size), now)
        marks += [a.name for a in of_type(out, act.PlaceMark)]
    return marks
