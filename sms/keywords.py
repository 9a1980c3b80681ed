"""Twilio's standard opt-out, opt-in and help keywords, matched before anything reaches the model.

Twilio matches a message that is exactly one keyword (case-insensitive, surrounding spaces and
punctuation ignored) and, on long codes, blocks our replies to opted-out senders anyway.
"""

from __future__ import annotations

from enum import StrEnum


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


WORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"), Keyword.OPT_OUT),
    **dict.fromkeys(("START", "YES", "UNSTOP"), Keyword.OPT_IN),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}


def keyword_of(body: str) -> tuple[Keyword, str] | None:
    """The keyword a message is, and the word itself; None for any other message."""
    word = body.strip().strip(".!").upper()
    return (WORDS[word], word) if word in WORDS else None
