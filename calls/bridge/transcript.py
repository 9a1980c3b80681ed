"""Transcript assembly: turns in call order, agent turns cut to what the caller heard.

An interrupted agent turn is stored with the part the caller heard as its text and the
whole generated text beside it. Where the provider gives no word timings we estimate:
the text received so far is spread evenly over the audio received so far, so the heard
fraction of the audio selects that fraction of the characters, rounded to the nearest
word boundary. Text generated after the cut was never heard.
"""

from __future__ import annotations

from dataclasses import dataclass

from .actions import TranscriptEntry

CALLER = "caller"
AGENT = "agent"
SYSTEM = "system"
TOOL = "tool"


def heard_part(text: str, fraction: float) -> str:
    """The first `fraction` of `text`, cut at the word boundary nearest that point."""
    if fraction >= 1:
        return text
    if fraction <= 0 or not text:
        return ""
    target = round(len(text) * fraction)
    boundaries = [0, *(i for i, char in enumerate(text) if char.isspace()), len(text)]
    cut = min(boundaries, key=lambda i: abs(i - target))
    return text[:cut].rstrip()


@dataclass(slots=True)
class Turn:
    key: str
    role: str
    order: int
    offset_ms: int
    response_id: str = ""
    text: str = ""
    complete: bool = False
    saved: bool = False
    interrupted: bool = False
    heard_ms: int | None = None
    heard_text: str = ""

    def entry(self) -> TranscriptEntry:
        self.saved = True
        if self.interrupted:
            return TranscriptEntry(
                key=self.key,
                order=self.order,
                role=self.role,
                text=self.heard_text,
                full_text=self.text,
                interrupted=True,
                heard_ms=self.heard_ms,
                offset_ms=self.offset_ms,
            )
        return TranscriptEntry(key=self.key, order=self.order, role=self.role, text=self.text, offset_ms=self.offset_ms)


class Transcript:
    """The call's turns by provider item id, numbered in the order they began."""

    def __init__(self) -> None:
        self._turns: dict[str, Turn] = {}
        self._next_order = 0

    def turn(self, key: str, role: str, offset_ms: int, response_id: str = "") -> Turn:
        """The turn for `key`, begun now if it is new."""
        turn = self._turns.get(key)
        if turn is None:
            turn = Turn(key, role, self._next_order, offset_ms, response_id)
            self._next_order += 1
            self._turns[key] = turn
        return turn

    def get(self, key: str) -> Turn | None:
        return self._turns.get(key)

    def note(self, text: str, offset_ms: int, role: str = SYSTEM) -> TranscriptEntry:
        """A system or tool line (a keypress, a tool's result) in its place in the timeline."""
        turn = self.turn(f"{role}-{self._next_order}", role, offset_ms)
        turn.text, turn.complete = text, True
        return turn.entry()

    def cut(self, key: str, heard_bytes: int, received_bytes: int) -> Turn | None:
        """Mark an agent turn interrupted: the caller heard `heard_bytes` of `received_bytes`."""
        turn = self._turns.get(key)
        if turn is None or turn.interrupted or heard_bytes >= received_bytes:
            return None
        turn.interrupted = True
        turn.heard_ms = heard_bytes // 8
        turn.heard_text = heard_part(turn.text, heard_bytes / received_bytes if received_bytes else 0)
        return turn

    def of_response(self, response_id: str) -> list[Turn]:
        return [t for t in self._turns.values() if t.response_id == response_id]

    def unsaved(self) -> list[Turn]:
        """Turns with something said that are not stored yet, in order."""
        return [t for t in self._turns.values() if not t.saved and (t.text or t.interrupted)]
