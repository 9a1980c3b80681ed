"""Error text safe to store: configured secrets replaced, length bounded."""

from __future__ import annotations

from voiceagent.logging import REDACTED, secret_values


def safe_reason(exc: BaseException, limit: int = 250) -> str:
    """`Type: message` with every configured secret replaced (an SMTP error may echo a login)."""
    text = f"{type(exc).__name__}: {exc}"
    for secret in secret_values():
        text = text.replace(secret, REDACTED)
    return text[:limit]
