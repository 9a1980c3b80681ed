"""The stream token: put in the TwiML as a <Parameter>, checked when the media stream starts.

Signed with SECRET_KEY and timestamped (django.core.signing), bound to one CallSid;
single use is enforced in the database (`Call.stream_token_used_at`).
"""

from __future__ import annotations

from django.core import signing

SALT = "calls.stream-token"
PARAMETER = "call_token"


def issue_stream_token(call_sid: str) -> str:
    return signing.dumps(call_sid, salt=SALT)


def stream_token_call_sid(token: str, max_age: int) -> str | None:
    """The CallSid the token was issued for, or None if it is forged or expired."""
    try:
        value = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a subclass
        return None
    return value if isinstance(value, str) else None
