"""Outbound calls: who answered (the carrier's answering-machine detection), and what the agent does.

Plain data in, actions out, like the rest of the core. The carrier's verdict (Twilio's
`AnsweredBy`) arrives while the stream is already live (asynchronous detection: the stream
starts at pick-up, with no dead air). A person: the agent opens the conversation, unless the
person has already spoken and been answered. A machine, once its greeting has ended (the beep):
the agent leaves its voicemail message, spoken by the model, and the call ends once it has been
played. A fax: the call ends. The decision is taken once per call.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from .actions import Action, EndReason


class Answerer(enum.StrEnum):
    HUMAN = "human"
    MACHINE = "machine"  # the greeting has ended: the moment to speak after the beep
    MACHINE_GREETING = "machine_greeting"  # a machine, still playing its greeting: wait for its end
    FAX = "fax"
    UNKNOWN = "unknown"


# Twilio's AnsweredBy values (machine_start only comes without DetectMessageEnd).
ANSWERED_BY = {
    "human": Answerer.HUMAN,
    "machine_end_beep": Answerer.MACHINE,
    "machine_end_silence": Answerer.MACHINE,
    "machine_end_other": Answerer.MACHINE,
    "machine_start": Answerer.MACHINE_GREETING,
    "fax": Answerer.FAX,
}


def classify(answered_by: str) -> Answerer:
    """The carrier's verdict as one of ours; anything unknown counts as unknown (treated as a person)."""
    return ANSWERED_BY.get(answered_by.strip().lower(), Answerer.UNKNOWN)


@dataclass(frozen=True, slots=True)
class OutboundPlan:
    """Why the agent called, and what it leaves on a machine (empty: a short message of its own)."""

    purpose: str
    voicemail: str = ""

    def opening(self) -> str:
        return (
            "The person you are calling has just answered the phone. Greet them, say who you are "
            "and why you are calling, then listen."
        )

    def voicemail_note(self) -> str:
        message = self.voicemail or "Say who you are, why you called, and that they can call back this number."
        purpose = f" The purpose of the call: {self.purpose}" if self.purpose else ""
        return (
            "The call went to an answering machine and its beep has sounded: you are being recorded now. "
            f"Leave this voicemail in one short turn, then stop: {message}{purpose}"
        )


class Conversation(Protocol):
    """What the answering logic needs of the call session."""

    @property
    def agent_has_spoken(self) -> bool: ...

    def prompt(self, text: str, now: float, *, end: EndReason | None = None, detail: str = "") -> list[Action]: ...

    def hang_up(self, reason: EndReason, now: float, detail: str = "") -> list[Action]: ...


class AnsweringFlow:
    """One outbound call's reaction to the carrier's verdict; decides once."""

    def __init__(self, plan: OutboundPlan) -> None:
        self.plan = plan
        self.answerer: Answerer | None = None

    def answered_by(self, session: Conversation, answered_by: str, now: float) -> list[Action]:
        kind = classify(answered_by)
        if self.answerer not in (None, Answerer.MACHINE_GREETING) or kind is Answerer.MACHINE_GREETING:
            return []  # decided already, or a machine still greeting: its message end comes next
        self.answerer = kind  # the verdict itself is recorded by its webhook, stream or none
        match kind:
            case Answerer.MACHINE:
                note = self.plan.voicemail_note()
                return session.prompt(note, now, end=EndReason.VOICEMAIL_LEFT, detail="voicemail left")
            case Answerer.FAX:
                return session.hang_up(EndReason.AGENT_ENDED, now, "a fax machine answered")
        if session.agent_has_spoken:
            return []  # the person said hello first and the agent answered them already
        return session.prompt(self.plan.opening(), now)
