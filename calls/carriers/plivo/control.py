"""Call control at Plivo (REST, through the `plivo` SDK): hang up, transfer.

Same surface as `calls.carriers.twilio.control.TwilioControl`. The REST base comes from `PLIVO_API_URL` (tests
and the simulator point it at a local fake Plivo) and every request has a timeout: a carrier
that hangs must not hang the call. Sync SDK calls run in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import plivo
from django.conf import settings
from plivo import exceptions as plivo_errors

from calls.carriers.base import ControlResult, OutgoingCall, PlacedCall

logger = logging.getLogger(__name__)

PLIVO_API = "https://api.plivo.com"


class _Client(plivo.RestClient):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's client, pinned to `api_url`.

    The SDK has no base-URL option: before each voice request it resets `base_uri` to module
    constants (api.plivo.com) and, on a 5xx, retries twice on "fallback" URLs (in 4.63.0 the
    same host) with a `print()`. Pinning `base_uri` keeps every request on our base; dropping
    the voice flag keeps one attempt per call, as with Twilio, and the server's stdout quiet.
    """

    def __init__(self, auth_id: str, auth_token: str, *, api_url: str, timeout: float) -> None:
        self._pinned_base = f"{api_url.rstrip('/')}/v1/Account"
        super().__init__(auth_id, auth_token, timeout=timeout)

    @property
    def base_uri(self) -> str:
        return self._pinned_base

    @base_uri.setter
    def base_uri(self, value: str) -> None:
        pass  # the SDK's own resets are ignored

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("is_voice_request", None)
        return super().request(*args, **kwargs)


class PlivoControl:
    """Hang up or transfer a live Plivo call. Without account credentials it can do neither."""

    def __init__(self, auth_id: str, auth_token: str, *, api_url: str = "", timeout: float = 10.0) -> None:
        self._client: _Client | None = None
        self._unavailable = "no Plivo account is configured"
        self._secrets = tuple(s for s in (auth_token, auth_id) if s)
        if auth_id and auth_token:
            try:
                self._client = _Client(auth_id, auth_token, api_url=api_url or PLIVO_API, timeout=timeout)
            except plivo_errors.AuthenticationError:  # the SDK checks the id's shape (MA…/SA…, 20 chars)
                self._unavailable = "PLIVO_AUTH_ID is not a Plivo auth id"
                logger.warning("%s: Plivo calls cannot be controlled", self._unavailable)

    @classmethod
    def from_settings(cls) -> PlivoControl:
        return cls(
            getattr(settings, "PLIVO_AUTH_ID", ""),
            getattr(settings, "PLIVO_AUTH_TOKEN", ""),
            api_url=getattr(settings, "PLIVO_API_URL", ""),
            timeout=getattr(settings, "PLIVO_API_TIMEOUT", 10.0),
        )

    @property
    def available(self) -> bool:
        return self._client is not None

    async def hang_up(self, call_id: str) -> ControlResult:
        """DELETE the call: 204 when hung up, 404 when it had already ended (fine too)."""
        if self._client is None:
            return ControlResult(False, self._unavailable)
        return await self._call(call_id, self._client.calls.delete, ended_is_fine=True, call_uuid=call_id)

    async def transfer(self, call_id: str, number: str, *, aleg_url: str) -> ControlResult:
        """Point the caller's leg at `aleg_url`, whose XML dials `number` (`answer.transfer_xml`).

        Plivo answers 202 at once and then fetches `aleg_url` (POST); the stream ends with the XML.
        """
        if self._client is None:
            return ControlResult(False, self._unavailable)
        if not number or not aleg_url.startswith(("https://", "http://")):
            return ControlResult(False, "a transfer needs a number and an http(s) aleg_url")
        update = self._client.calls.update
        # aleg_url may carry a token of ours: it stays out of the details, as the credentials do.
        return await self._call(
            call_id, update, hide=(aleg_url,), call_uuid=call_id, legs="aleg", aleg_url=aleg_url, aleg_method="POST"
        )

    def place_call(self, call: OutgoingCall) -> PlacedCall:
        """Not yet: Plivo's machine detection reports `Machine=true` at the greeting's start, not its end
        (no beep to wait for), and its answer and stream webhooks would need an outbound route of their own."""
        return PlacedCall(False, detail="outbound calls are not available through Plivo yet")

    async def _call(
        self,
        call_id: str,
        method: Callable[..., Any],
        *,
        ended_is_fine: bool = False,
        hide: tuple[str, ...] = (),
        **arguments: str,
    ) -> ControlResult:
        try:
            await asyncio.to_thread(method, **arguments)
        except plivo_errors.ResourceNotFoundError:
            if ended_is_fine:
                return ControlResult(True, "the call had already ended")
            return self._refused(call_id, "Plivo 404: the call is not live", hide)
        except plivo_errors.PlivoRestError as exc:
            return self._refused(call_id, f"Plivo refused ({type(exc).__name__}): {exc}", hide)
        except OSError as exc:  # requests' errors, timeouts included, are OSErrors
            return self._refused(call_id, f"Plivo unreachable ({type(exc).__name__})", hide)
        return ControlResult(True)

    def _refused(self, call_id: str, detail: str, hide: tuple[str, ...]) -> ControlResult:
        for secret in (*self._secrets, *hide):
            detail = detail.replace(secret, "…")
        detail = detail[:200]
        logger.warning("Plivo call control failed for %s: %s", call_id, detail)
        return ControlResult(False, detail)
