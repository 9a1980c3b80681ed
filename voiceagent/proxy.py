"""A warning for TRUST_PROXY_HEADERS on a server that is reached without its proxy."""

from __future__ import annotations

import logging
from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)


class ProxyHeadersCheck:
    """With TRUST_PROXY_HEADERS on, warn once per process of a request without X-Forwarded-Proto.

    At start nothing shows whether a proxy stands in front; the first request does. A proxy
    that Django trusts sets the header on every request, so a request without it came straight
    to daphne, and whoever sends one may also pick the X-Forwarded-Host that Django then builds
    URLs from. Not installed at all when the setting is off.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.TRUST_PROXY_HEADERS:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.warned = False
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.warned and "HTTP_X_FORWARDED_PROTO" not in request.META:
            self.warned = True
            logger.warning(
                "TRUST_PROXY_HEADERS is on, but a request to %s came without X-Forwarded-Proto, so not "
                "through a proxy: send every request through the proxy, or turn TRUST_PROXY_HEADERS off "
                "(warned once per process)",
                request.path[:256],
            )
        return self.get_response(request)  # in async mode, the coroutine the handler awaits
