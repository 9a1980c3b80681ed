"""Who is asking: the staff user behind an MCP request, on either transport."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from mcp.server.auth.middleware.auth_context import get_access_token

from .models import Transport


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    transport: Transport
    token_id: int | None = None

    def user(self) -> AbstractBaseUser | AnonymousUser:
        """The user as the database has them now: permissions changed or an account disabled mid-session count."""
        return get_user_model().objects.filter(pk=self.user_id).first() or AnonymousUser()


PrincipalSource = Callable[[], "Principal | None"]


def fixed(user: AbstractBaseUser) -> PrincipalSource:
    """stdio: the user named on the command line, for the whole session."""
    principal = Principal(user_id=user.pk, username=user.get_username(), transport=Transport.STDIO)
    return lambda: principal


def from_bearer_token() -> Principal | None:
    """Streamable HTTP: the user of the token the SDK's auth middleware verified for this request."""
    access = get_access_token()
    if access is None or not access.claims:
        return None
    claims = access.claims
    return Principal(
        user_id=claims["user_id"], username=claims["username"], transport=Transport.HTTP, token_id=claims["token_id"]
    )
