"""A logging filter that replaces configured secret values wherever they appear."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from django.conf import settings

SECRET_SETTINGS = ("OPENAI_API_KEY", "TWILIO_AUTH_TOKEN", "SECRET_KEY")
URL_SETTINGS = ("REDIS_URL",)
REDACTED = "[redacted]"


def secret_values() -> list[str]:
    """The configured secrets, longest first, ignoring values too short to be secrets."""
    values = [getattr(settings, name, "") for name in SECRET_SETTINGS]
    for name in URL_SETTINGS:
        values.append(urlsplit(getattr(settings, name, "") or "").password or "")
    values.append(settings.DATABASES["default"].get("PASSWORD", ""))
    values.append(getattr(settings, "EMAIL_HOST_PASSWORD", ""))
    return sorted({v for v in values if v and len(v) >= 6}, key=len, reverse=True)


class RedactSecrets(logging.Filter):
    """Rewrites each record's final message with every secret value replaced."""

    def __init__(self) -> None:
        super().__init__()
        self._pattern: re.Pattern[str] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        pattern = self._secrets_pattern()
        if pattern is None:
            return True
        message = record.getMessage()
        redacted = pattern.sub(REDACTED, message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = pattern.sub(REDACTED, record.exc_text)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True

    def _secrets_pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None:
            values = secret_values()
            if not values:
                return None
            self._pattern = re.compile("|".join(re.escape(v) for v in values))
        return self._pattern
