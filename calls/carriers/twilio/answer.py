"""TwiML answers, built with the twilio package's VoiceResponse (never by string formatting)."""

from __future__ import annotations

from twilio.twiml.voice_response import Connect, Stream, VoiceResponse


def stream_answer(stream_url: str) -> str:
    """`<Connect><Stream>`: a bidirectional µ-law Media Stream to `stream_url` for the rest of the call."""
    connect = Connect()
    connect.append(Stream(url=stream_url))
    response = VoiceResponse()
    response.append(connect)
    return str(response)


def refusal(message: str) -> str:
    """`<Say>` the message, then `<Hangup/>`."""
    response = VoiceResponse()
    response.say(message)
    response.hangup()
    return str(response)


def transfer(number: str) -> str:
    """What the call does instead of its stream: `<Dial>` the number."""
    response = VoiceResponse()
    response.dial(number)
    return str(response)
