"""`manage.py mcp_token USERNAME`: issue an MCP bearer token; the token alone is the last line of output."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mcp_server.tokens import mcp_token_issue


class Command(BaseCommand):
    help = "Print a new MCP bearer token for a staff user (stored hashed; revoke it in the admin)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--label", default="", help="where the token is used, shown in the admin")

    def handle(self, *args, username: str, label: str, **options) -> None:
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None or not (user.is_active and user.is_staff):
            raise CommandError(f"No active staff user {username!r}.")
        token, secret = mcp_token_issue(user=user, label=label)
        self.stdout.write(
            f"MCP token {token.pk} for {username}; it is shown only now. "
            "Send it as 'Authorization: Bearer <token>' to /mcp/:"
        )
        self.stdout.write(secret)
