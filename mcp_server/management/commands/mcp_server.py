"""`manage.py mcp_server --user USERNAME`: the MCP server over stdio, with that staff user's permissions.

stdout carries the protocol; logs go to stderr (Django's console handler), which MCP hosts
show as the server's log.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from mcp_server.principal import fixed
from mcp_server.server import build_server


class Command(BaseCommand):
    help = "Serve the call history over MCP on stdin/stdout, acting as a staff user."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="the staff user whose permissions apply")

    def handle(self, *args, user: str, **options) -> None:
        model = get_user_model()
        staff = model.objects.filter(**{model.USERNAME_FIELD: user}, is_active=True, is_staff=True).first()
        if staff is None:
            raise CommandError(f"No active staff user {user!r}.")
        build_server(principal=fixed(staff)).run("stdio")
