"""What the text API stand-in answers: a plausible summary, and extraction values that fit each field.

Deterministic and simple, but read from the call as a model would read it: the prompt's first
line (`calls/postcall/content.py`: who called, from which number, how the call ended), then the
transcript's `Caller:` and `Agent:` lines. Each extraction field is filled by what its name and
description ask for: a phone number found in what the caller said (or their own number when they
asked to be called back, else null), a short reason, an email, true or false, a choice the caller
named. A field the call does not answer is null where the schema allows it, as the real model's is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

INTERRUPTED = "[interrupted]"  # the caller talked over the agent (content.py writes it)
HEADER = re.compile(r"^Call from (?P<who>.+?) \((?P<number>[^)]*)\) answered by .*; ended: (?P<ended>.+?)\.?$")
PHONE = re.compile(r"\+?\(?\d[\d ().\-]{5,}\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
GREETING = re.compile(r"^(?:(?:hi|hello|hey|good (?:morning|afternoon|evening)|yes|so|um|uh)\b[\s,.!]*)+", re.I)
CALL_BACK = re.compile(r"\b(?:call(?:ing)? (?:me |us )?back|callback|ring me|get back to me|call me)\b", re.I)
FOLLOW_UP = re.compile(r"\b(?:call(?:ing)? (?:me |us )?back|callback|message|urgent|emergency|complain)", re.I)
REASON_WORDS = 12  # "in a few words"


@dataclass(frozen=True)
class CallText:
    """The prompt, read: the header's facts and who said what, in order."""

    caller: str  # their name, or "" when unknown
    number: str
    ended: str  # how the call ended, in the header's words
    turns: list[tuple[str, str]]  # (speaker, text), text without the interrupted marker
    interruptions: int  # agent turns the caller talked over

    @property
    def said(self) -> list[str]:
        return [text for speaker, text in self.turns if speaker == "Caller"]

    @property
    def first_answer(self) -> str:
        """The agent's first words after the caller first spoke."""
        spoke = False
        for speaker, text in self.turns:
            spoke = spoke or speaker == "Caller"
            if spoke and speaker == "Agent":
                return text
        return ""


def read_call(text: str) -> CallText:
    lines = text.splitlines()
    header = HEADER.match(lines[0]) if lines else None
    who = header["who"] if header else ""
    turns, interruptions = [], 0
    for line in lines:
        speaker, colon, said = line.partition(":")
        if colon and speaker in ("Caller", "Agent") and said.strip():
            said = said.strip()
            if said.endswith(INTERRUPTED):
                interruptions += 1
            turns.append((speaker, _unmarked(said)))
    return CallText(
        caller="" if who.startswith("an unknown") else who,
        number=header["number"] if header else "",
        ended=header["ended"] if header else "",
        turns=turns,
        interruptions=interruptions,
    )


def _unmarked(text: str) -> str:
    # Any trailing "[…]" marker: interrupted by the caller, or cut off as the call ended.
    return re.sub(r"\s*\[[^\]]*\]$", "", text)


def summary_text(text: str) -> str:
    """Who called, what they asked, what the agent said, how it ended: in the header's words, so
    a call that staff ended is never told as one the caller cut short."""
    call = read_call(text)
    who = call.caller or "An unknown caller"
    said = call.said
    parts = [f"{who} called and said: {_quoted(said[0])}" if said else f"{who} called but said nothing."]
    if call.first_answer:
        parts.append(f"The agent answered: {_quoted(call.first_answer)}")
    if call.interruptions:
        parts.append(f"The caller talked over the agent {call.interruptions} time(s).")
    if call.ended:
        parts.append(f"The call ended: {call.ended[0].lower()}{call.ended[1:]}.")
    return " ".join(parts)


def _quoted(text: str) -> str:
    return f'"{text}"' if text[-1:] in (".", "?", "!", "…") else f'"{text}".'


def fill_schema(schema: dict[str, Any], text: str, name: str = "") -> Any:
    """A value fitting `schema` for the field `name` (its description guides the value too)."""
    return _fill(schema, read_call(text), name)


def _fill(schema: dict[str, Any], call: CallText, name: str) -> Any:
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    nullable = "null" in kinds
    kind = next((k for k in kinds if k != "null"), "null")
    hint = f"{name} {schema.get('description', '')}".replace("_", " ").lower()
    if "enum" in schema:
        return _choice([value for value in schema["enum"] if value is not None], call, nullable)
    if kind == "object":
        return {key: _fill(prop, call, key) for key, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [_fill(schema.get("items", {}), call, name)]
    if kind == "boolean":
        return _boolean(name, hint, call)
    if kind in ("number", "integer"):
        return _number(call, nullable)
    if kind == "string":
        value = _string(hint, call)
        return value if value is not None or nullable else ""
    return None


def _string(hint: str, call: CallText) -> str | None:
    said = " ".join(call.said)
    if any(word in hint for word in ("phone", "number", "callback", "call back", "telephone")):
        found = PHONE.search(said)
        if found:
            return found.group().strip()
        return call.number or None if CALL_BACK.search(said) else None
    if "email" in hint or "e-mail" in hint:
        found = EMAIL.search(said)
        return found.group() if found else None
    if "name" in hint:
        return call.caller or None
    return _reason(call.said[0]) if call.said else None


def _reason(line: str) -> str:
    """The caller's first sentence, greeting left out, in a few words: "What are your opening hours"."""
    sentence = GREETING.sub("", line).strip()
    sentence = re.split(r"(?<=[.?!])\s", sentence, maxsplit=1)[0].rstrip(".?!").strip() or line
    words = sentence.split()
    short = " ".join(words[:REASON_WORDS]) + ("…" if len(words) > REASON_WORDS else "")
    return short[:1].upper() + short[1:]


def _boolean(name: str, hint: str, call: CallText) -> bool:
    said = " ".join(call.said)
    if "interrupt" in hint:
        return call.interruptions > 0
    if any(word in hint for word in ("follow", "call back", "callback", "get back", "urgent", "escalat")):
        return bool(FOLLOW_UP.search(said))
    # Otherwise: whether the caller used the field's own words ("emergency" for "is_emergency").
    words = [word for word in re.findall(r"[a-z]+", name.lower()) if len(word) > 3]
    return any(word in said.lower() for word in words)


def _number(call: CallText, nullable: bool) -> int | float | None:
    # A count said as a small number, not digits of a phone number.
    said = PHONE.sub(" ", " ".join(call.said))
    found = re.search(r"\b\d{1,4}(?:\.\d+)?\b", said)
    if found:
        value = float(found.group())
        return int(value) if value.is_integer() else value
    return None if nullable else 0


def _choice(choices: list[Any], call: CallText, nullable: bool) -> Any:
    said = " ".join(call.said).lower()
    named = next((choice for choice in choices if str(choice).lower() in said), None)
    if named is not None or nullable:
        return named
    return choices[0] if choices else None
