"""`/mcp/`: the MCP server over streamable HTTP inside daphne.

The SDK's app needs its session manager running (`session_manager.run()`), which Starlette
would enter on the ASGI lifespan; daphne sends no lifespan events. So the mount starts it
itself, on the first request, in a task on daphne's event loop that lives as long as the
process. Bearer tokens are checked by the SDK's auth middleware with our `TokenVerifier`.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from django.conf import settings
from mcp.server import MCPServer
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from voiceagent.db import off_loop

from .principal import from_bearer_token
from .server import build_server
from .tokens import mcp_token_authenticate

logger = logging.getLogger(__name__)
PATH = "/mcp/"
LOOPBACK = ["localhost", "127.0.0.1", "[::1]"]


class DjangoTokenVerifier:
    """The SDK's `TokenVerifier`: a token issued by `manage.py mcp_token`, live, of an active staff user."""

    async def verify_token(self, token: str) -> AccessToken | None:
        record = await off_loop(mcp_token_authenticate)(secret=token)
        if record is None:
            return None
        name = f"mcp-token-{record.pk}"  # the secret itself is not kept: nothing can log it
        claims = {"user_id": record.user_id, "username": record.user.get_username(), "token_id": record.pk}
        return AccessToken(token=name, client_id=name, scopes=[], subject=str(record.user_id), claims=claims)


def allowed_hosts() -> list[str]:
    """Host headers `/mcp/` answers: MCP_ALLOWED_HOSTS, else ALLOWED_HOSTS without wildcards, PUBLIC_URL's host
    and loopback. A wildcard is never carried over: `/mcp/` is not open to any Host (DNS rebinding)."""
    hosts = list(settings.MCP_ALLOWED_HOSTS) or [h for h in settings.ALLOWED_HOSTS if h != "*" and h[:1] != "."]
    if settings.PUBLIC_URL:
        hosts.append(urlsplit(settings.PUBLIC_URL).netloc)
    return list(dict.fromkeys([*hosts, *LOOPBACK]))


def allowed_origins(hosts: list[str]) -> list[str]:
    """Origin headers accepted (a request without one is accepted): MCP_ALLOWED_ORIGINS, else the allowed hosts'."""
    if settings.MCP_ALLOWED_ORIGINS:
        return list(settings.MCP_ALLOWED_ORIGINS)
    return [f"{scheme}://{host}" for host in hosts for scheme in ("https", "http")]


def _with_any_port(values: list[str]) -> list[str]:
    """The SDK matches exactly or `name:*`; a name given without a port may come with any."""
    return [*values, *(f"{v}:*" for v in values if urlsplit(f"//{v.split('://')[-1]}").port is None)]


def transport_security() -> TransportSecuritySettings:
    hosts = allowed_hosts()
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=_with_any_port(hosts),
        allowed_origins=_with_any_port(allowed_origins(hosts)),
    )


def streamable_http_server() -> MCPServer:
    # The SDK's AuthSettings requires an issuer URL. We issue tokens ourselves (mcp_token) and
    # serve no OAuth endpoint or metadata, so this URL is published nowhere.
    auth = AuthSettings(issuer_url=settings.PUBLIC_URL or "http://localhost", resource_server_url=None)
    return build_server(principal=from_bearer_token, token_verifier=DjangoTokenVerifier(), auth=auth)


def _log_refusals(scope: Scope, send: Send) -> Send:
    """A request refused before the MCP server saw it (no or a bad token, a foreign Host) is logged here;
    accepted ones are logged by `audit.RequestLog`. Headers are never logged: one is the token."""

    async def watch(message: dict) -> None:
        if message["type"] == "http.response.start" and message["status"] >= 400:
            client = (scope.get("client") or ("?",))[0]
            logger.warning(
                "mcp %s %s from %s refused: HTTP %d", scope["method"], scope["path"], client, message["status"]
            )
        await send(message)

    return watch


class McpMount:
    """ASGI: `/mcp` and below go to the SDK's streamable HTTP app, everything else to `fallback`."""

    def __init__(self, fallback: ASGIApp) -> None:
        self.fallback = fallback
        self.server = streamable_http_server()
        self.app = self.server.streamable_http_app(
            streamable_http_path=PATH,
            transport_security=transport_security(),
            session_idle_timeout=settings.MCP_SESSION_IDLE_TIMEOUT,
        )
        self._running: asyncio.Future[None] | None = None
        self._sessions: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PATH.rstrip("/") or path.startswith(PATH)):
            await self.fallback(scope, receive, send)
            return
        await self._session_manager_running()
        await self.app(scope, receive, _log_refusals(scope, send))

    async def _session_manager_running(self) -> None:
        if self._running is None:  # no await before this is set: one start however many first requests
            loop = asyncio.get_running_loop()
            self._running = loop.create_future()
            self._sessions = loop.create_task(self._run_sessions(), name="mcp-session-manager")
        await asyncio.shield(self._running)

    async def _run_sessions(self) -> None:
        assert self._running is not None
        try:
            async with self.server.session_manager.run():
                self._running.set_result(None)
                await asyncio.get_running_loop().create_future()  # until the process ends
        except Exception as error:
            logger.exception("The MCP session manager stopped")
            if not self._running.done():
                self._running.set_exception(error)
