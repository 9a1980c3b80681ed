"""uvicorn behind nginx, as README's *Production* starts it (`--proxy-headers --forwarded-allow-ips`),
with deploy/nginx/voiceagent.conf in front: test_proxy.py's call and login-throttle tests again,
through a uvicorn upstream with the writes of live calls in two database worker processes.

nginx's upstream names the one uvicorn process twice (the site file has two `server` lines), so
everything nginx forwards reaches it. What crosses two processes is test_proxy.py's, with daphne.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .servers import CallServer, PrivateCertificates, daphne_process, free_port, nginx_server, uvicorn_proxied_command
from .test_proxy import Site, proxied_site_env
from .test_proxy import test_a_call_through_nginx_is_signed_for_the_public_url_and_streams_over_wss as test_a_call  # noqa: F401
from .test_proxy import (  # noqa: F401
    test_the_login_throttle_keys_on_the_client_address_nginx_saw as test_the_login_throttle,
)

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


@pytest.fixture(scope="module")
def site(tmp_path_factory, redis_url) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("proxy-uvicorn")
    certs = PrivateCertificates(workdir)
    port, standin_port, upstream = free_port(), free_port(), free_port()
    env = proxied_site_env(workdir, port, standin_port, redis_url, CALL_DB_PROCESSES="2")
    with (
        daphne_process(env, uvicorn_proxied_command(upstream), "Uvicorn running on") as uvicorn,
        nginx_server(workdir, port, (upstream, upstream), certs) as nginx,
    ):
        served = CallServer(f"https://localhost:{port}", standin_port, workdir / "e2e.sqlite3", uvicorn, env)
        yield Site(f"https://localhost:{port}", port, standin_port, certs, [served], nginx)
