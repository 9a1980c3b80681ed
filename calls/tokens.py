"""The stream token: part of the stream URL in the TwiML, checked at the websocket handshake.

In the path (not a <Parameter>, which arrives only with `start`) so that the handshake itself
proves which call it is for, before any model session is opened. Signed with SECRET_KEY and
timestamped (django.core.signing), bound to one CallSid; single use is enforced in the
database (`Call.stream_token_used_at`). Its characters are URL-safe base64 and ":".
"""

from __future__ import annotations

from django.core import signing

SALT = "calls.stream-token"


def issue_stream_token(call_sid: str) -> str:
    return signing.dumps(call_sid, salt=SALT)


def stream_token_call_sid(token: str, max_age: int) -> str | None:
    """The CallSid the token was issued for, or None if it is forged or expired."""
    try:
        value = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a subclass
        return None
    return value if isinstance(value, str) else None
