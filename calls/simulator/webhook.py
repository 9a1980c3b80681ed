"""The HTTP half of a simulated call: the webhook poster, answer XML reading, Twilio's signature and TwiML."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import requests
from twilio.request_validator import RequestValidator

TWILIO_USER_AGENT = "TwilioProxy/1.1"
WEBHOOK_TIMEOUT_S = 15.0  # Twilio's default webhook timeout


@dataclass(frozen=True)
class WebhookResponse:
    """What the server answered to the voice webhook."""

    status: int
    body: str


# (url, form params, headers) -> response; injectable so tests need no HTTP server.
WebhookPoster = Callable[[str, Mapping[str, str], Mapping[str, str]], Awaitable[WebhookResponse]]


async def requests_poster(
    url: str, params: Mapping[str, str], headers: Mapping[str, str], *, cafile: str | None = None
) -> WebhookResponse:
    """POST the form with ``requests`` in a worker thread, as Twilio would (no redirects).

    An https:// server's certificate is verified, against ``cafile`` (PEM) when given.
    """

    def post() -> WebhookResponse:
        response = requests.post(
            url,
            data=dict(params),
            headers=dict(headers),
            timeout=WEBHOOK_TIMEOUT_S,
            allow_redirects=False,
            verify=cafile or True,
        )
        return WebhookResponse(status=response.status_code, body=response.text)

    return await asyncio.to_thread(post)


def sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """``X-Twilio-Signature`` for a request to ``url`` with these POST params."""
    return RequestValidator(auth_token).compute_signature(url, dict(params))


@dataclass(frozen=True)
class StreamInstruction:
    """``<Connect><Stream url>`` with its ``<Parameter>``s (Plivo: ``<Stream>`` and its extraHeaders).

    ``errors``: what in the answer would break the call at the real carrier (the simulator
    goes on, and records them as protocol errors).
    """

    url: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """TwiML that ends the call without a stream (``<Say>``, ``<Hangup/>``, or bad TwiML)."""

    say_text: str | None
    error: str | None = None


def read_response(body: str, language: str) -> ET.Element | Refusal:
    """The ``<Response>`` of an answer in ``language`` (TwiML, Plivo XML), or why there is none."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return Refusal(say_text=None, error=f"{language} is not XML: {exc}")
    if root.tag != "Response":
        return Refusal(say_text=None, error=f"{language} root is <{root.tag}>, not <Response>")
    return root


def spoken_refusal(root: ET.Element, say_tag: str) -> Refusal | None:
    """An answer that speaks (``<Say>``, ``<Speak>``) or hangs up without a stream."""
    says = [(say.text or "").strip() for say in root.iter(say_tag)]
    if says or root.find("Hangup") is not None:
        return Refusal(say_text=" ".join(s for s in says if s) or None)
    return None


def parse_twiml(body: str) -> StreamInstruction | Refusal:
    """Read the voice webhook's TwiML the way Twilio acts on it for our purposes."""
    root = read_response(body, "TwiML")
    if isinstance(root, Refusal):
        return root
    stream = root.find("./Connect/Stream")
    if stream is not None and stream.get("url"):
        parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
        return StreamInstruction(url=stream.get("url", ""), custom_parameters=parameters)
    return spoken_refusal(root, "Say") or Refusal(
        say_text=None, error="TwiML has neither <Connect><Stream url> nor <Say>"
    )
