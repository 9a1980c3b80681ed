"""README's *Production* shows what tests/test_proxy.py, tests/test_tls.py and the uvicorn tests run, word for
word (uvicorn's logging flags aside)."""

from __future__ import annotations

import re
import shlex

from .servers import (
    NGINX_SITE,
    ROOT,
    PrivateCertificates,
    daphne_proxied_command,
    daphne_tls_command,
    uvicorn_proxied_command,
)

README = (ROOT / "README.md").read_text()


def shown(command: list[str]) -> str:
    """A test's daphne command as README writes it: `daphne …` rather than `python -m daphne …`."""
    assert command[1:3] == ["-m", "daphne"]
    return shlex.join(["daphne", *command[3:]])


def test_the_readme_shows_deploy_nginx_voiceagent_conf_verbatim():
    blocks = re.findall(r"```nginx\n(.*?)\n *```", README, flags=re.S)
    assert [re.sub(r"(?m)^  ", "", block) + "\n" for block in blocks] == [NGINX_SITE.read_text()]


def test_the_readme_runs_the_proxied_daphnes_the_tests_run():
    for port in (8001, 8002):
        assert f"  {shown(daphne_proxied_command(port))}\n" in README


def test_the_readme_runs_daphne_tls_as_the_tests_do_but_on_all_interfaces(tmp_path):
    certs = PrivateCertificates(tmp_path)
    command = shown(daphne_tls_command(443, certs))
    command = command.replace(":interface=127.0.0.1", "").replace(str(certs.key), "/etc/ssl/voice/privkey.pem")
    command = command.replace(str(certs.cert), "/etc/ssl/voice/cert.pem")
    assert f"  {command.replace(str(certs.chain), '/etc/ssl/voice/chain.pem')}\n" in README


def test_the_readme_runs_uvicorn_as_the_tests_do_but_logging_as_the_operator_likes():
    """The flags that shape the media path (the websocket implementation above all) are the tested ones."""
    block = re.search(r"```sh\n *(uvicorn voiceagent\.asgi:application .*?)\n *```", README, flags=re.S)
    assert block is not None
    tested = uvicorn_proxied_command(8001)
    assert tested[1:3] == ["-m", "uvicorn"]
    args = [arg for arg in tested[3:] if arg != "--no-access-log"]
    level = args.index("--log-level")
    del args[level : level + 2]
    assert shlex.split(block.group(1).replace("\\\n", " ")) == ["uvicorn", *args]
