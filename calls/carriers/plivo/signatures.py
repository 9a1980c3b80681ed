"""Plivo's request signatures (V3), checked with the SDK's own `validate_v3_signature`.

V3 is an HMAC-SHA256, keyed by the auth token, over the URL Plivo called (with its sorted
parameters) then `.` and the one-time nonce of `X-Plivo-Signature-V3-Nonce`. When the account
has rotated its token the header carries one signature per valid token, comma-separated.

These wrappers never raise: a missing header, a malformed URL or garbage is just "not valid".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from plivo.utils.signature_v3 import validate_v3_signature

from calls.carriers.base import Scope

logger = logging.getLogger(__name__)


def webhook_signature_is_valid(
    *, method: str, url: str, params: Mapping[str, str], nonce: str, signature: str, auth_token: str
) -> bool:
    """Whether `signature` (the X-Plivo-Signature-V3 header) signs this request with `auth_token`.

    `url` is the public URL Plivo called (PUBLIC_URL + path and query behind a proxy);
    `params` the POSTed form (for a GET, the query is read from `url` itself).
    """
    if not (auth_token and nonce and signature and url):
        return False
    try:
        # The SDK splits the header on "," exactly; tolerate ", " between signatures.
        signatures = ",".join(part.strip() for part in signature.split(","))
        return bool(validate_v3_signature(method.upper(), url, nonce, auth_token, signatures, params=dict(params)))
    except Exception as exc:  # the SDK raises ValidationError for a bad URL or method, and worse for garbage
        logger.info("unverifiable Plivo signature (%s)", type(exc).__name__)
        return False


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def stream_http_urls(scope: Scope, *, public_url: str) -> list[str]:
    """The URLs the stream handshake may be signed over: the http(s) form of the ws URL it opened.

    Plivo's own stream SDK checks `http://` whatever the scheme, so both forms are accepted
    (each still needs the auth token's HMAC). The host is PUBLIC_URL's when set, else the request's.
    """
    query = scope.get("query_string") or b""
    path = str(scope.get("path", "")) + (f"?{query.decode('latin-1')}" if query else "")
    # Both schemes either way: a websocket scope (daphne's) does not say whether TLS was used.
    host = public_url.rstrip("/").partition("://")[2] if public_url else _header(scope, b"host")
    return [f"https://{host}{path}", f"http://{host}{path}"]


def stream_signature_is_valid(scope: Scope, *, public_url: str, auth_token: str) -> bool:
    """Check the websocket handshake's X-Plivo-Signature-V3: Plivo signs it as a GET of the stream URL."""
    try:
        signature = _header(scope, b"x-plivo-signature-v3")
        nonce = _header(scope, b"x-plivo-signature-v3-nonce")
        candidates = stream_http_urls(scope, public_url=public_url)
    except (AttributeError, TypeError, ValueError):  # a scope no ASGI server would build
        return False
    return any(
        webhook_signature_is_valid(
            method="GET", url=url, params={}, nonce=nonce, signature=signature, auth_token=auth_token
        )
        for url in candidates
    )
