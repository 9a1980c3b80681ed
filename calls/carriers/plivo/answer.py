"""Plivo XML answers, built with the SDK's `plivoxml` elements (never by string formatting)."""

from __future__ import annotations

import re

from plivo import plivoxml

# Plivo plays µ-law 8 kHz straight through to the model (audio/pcmu), as on Twilio. Always set
# the content type: the docs give audio/x-l16;rate=8000 as the default.
CONTENT_TYPE = "audio/x-mulaw;rate=8000"
# extraHeaders: "k1=v1,k2=v2", letters and digits only, at most 512 bytes in all.
_HEADER_TOKEN = re.compile(r"[A-Za-z0-9]+")
MAX_EXTRA_HEADERS = 512


def _extra_headers(headers: dict[str, str]) -> str:
    for key, value in headers.items():
        if not (_HEADER_TOKEN.fullmatch(key) and _HEADER_TOKEN.fullmatch(value)):
            raise ValueError("Plivo extraHeaders keys and values are letters and digits only")
    joined = ",".join(f"{key}={value}" for key, value in headers.items())
    if len(joined) > MAX_EXTRA_HEADERS:
        raise ValueError(f"Plivo extraHeaders are at most {MAX_EXTRA_HEADERS} bytes")
    return joined


def _xml(response: plivoxml.ResponseElement) -> str:
    return str(response.to_string(pretty=False))


def stream_answer(
    stream_url: str, *, status_callback_url: str = "", extra_headers: dict[str, str] | None = None
) -> str:
    """Connect the call to our websocket, both ways, and keep it up for as long as the stream is."""
    stream = plivoxml.StreamElement(
        stream_url,
        bidirectional=True,
        keepCallAlive=True,  # the stream is the whole call: nothing after it runs while it lasts
        contentType=CONTENT_TYPE,
        statusCallbackUrl=status_callback_url or None,
        extraHeaders=_extra_headers(extra_headers) if extra_headers else None,
    )
    return _xml(plivoxml.ResponseElement().add(stream))


def refusal(message: str) -> str:
    """Say why the call cannot be taken, then hang up (the same wording as on Twilio)."""
    return _xml(plivoxml.ResponseElement().add_speak(message).add_hangup())


def transfer_xml(number: str) -> str:
    """The XML a transferred call's A leg fetches from `aleg_url`: dial `number` in its place."""
    dial = plivoxml.DialElement().add_number(number)
    return _xml(plivoxml.ResponseElement().add(dial))
