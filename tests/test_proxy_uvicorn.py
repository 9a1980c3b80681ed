"""uvicorn behind nginx, as README's *Production* starts it (`--proxy-headers --forwarded-allow-ips`),
with deploy/nginx/voiceagent.conf in front: test_proxy.py's call and login-throttle tests again,
through a uvicorn upstream with the writes of live calls in two database worker processes.

nginx's upstream names the one uvicorn process twice (the site file has two `server` lines), so
everything nginx forwards reaches it. What crosses two processes is test_proxy.py's, with daphne.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .servers import (
    CallServer,
    PrivateCertificates,
    daphne_process,
    free_port,
    manage,
    migrate,
    nginx_server,
    server_env,
    uvicorn_proxied_command,
)
from .test_proxy import AUTH_TOKEN, LOGIN, Site
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
    env = server_env(
        workdir,
        DEBUG="off",  # production settings: secure cookies, HSTS, ALLOWED_HOSTS enforced
        ALLOWED_HOSTS="localhost",
        PUBLIC_URL=f"https://localhost:{port}",
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        OPENAI_REALTIME_URL=f"ws://127.0.0.1:{standin_port}/v1/realtime",
        REDIS_URL=redis_url,
        POSTCALL_ENABLED="off",
        CALL_DB_PROCESSES="2",
        DJANGO_SUPERUSER_USERNAME=LOGIN[0],
        DJANGO_SUPERUSER_PASSWORD=LOGIN[1],
    )
    migrate(env)
    manage(env, "seed_demo")
    with (
        daphne_process(env, uvicorn_proxied_command(upstream), "Uvicorn running on") as uvicorn,
        nginx_server(workdir, port, (upstream, upstream), certs) as nginx,
    ):
        served = CallServer(f"https://localhost:{port}", standin_port, workdir / "e2e.sqlite3", uvicorn, env)
        yield Site(f"https://localhost:{port}", port, standin_port, certs, [served], nginx)
