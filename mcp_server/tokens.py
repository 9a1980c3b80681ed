"""Issuing, checking and revoking MCP bearer tokens (services: views, commands, admin call these)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from .models import McpToken

PREFIX = "vamcp_"  # recognisable in a leaked-secret scan; carries no information
# last_used_at is written at most this often per token: every MCP request checks the token.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def mcp_token_issue(*, user: AbstractBaseUser, label: str = "") -> tuple[McpToken, str]:
    """A new token for a staff user: the stored record and the secret, which is never stored."""
    if not (user.is_active and user.is_staff):
        raise ValueError(f"{user} is not an active staff user")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = McpToken.objects.create(user=user, label=label, digest=token_digest(secret))
    return token, secret


def mcp_token_authenticate(*, secret: str) -> McpToken | None:
    """The live token for `secret`, with its user, or None; records when it was last used."""
    token = (
        McpToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at__isnull=True, user__is_active=True, user__is_staff=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    McpToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    return token


def mcp_token_revoke(*, token: McpToken) -> None:
    """From now on the token gets 401; an already revoked token keeps its first revocation time."""
    McpToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
