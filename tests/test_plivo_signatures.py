"""X-Plivo-Signature-V3 on webhooks and on the stream handshake, signed with the SDK's own functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

from calls.carriers.plivo.signatures import (
    stream_http_urls,
    stream_signature_is_valid,
    webhook_signature_is_valid,
)

TOKEN = "plivo-token-for-tests"
NONCE = "05429567804466091622"
URL = "https://voice.example.com/plivo/answer/"
PARAMS = {"CallUUID": "0e4c5d9e-1b7a", "From": "15550100001", "To": "15005550009", "Direction": "inbound"}
STREAM_PATH = "/plivo/media/0e4c5d9e-1b7a/tok:en/"


def sign(method: str, url: str, params: dict[str, str], *, token: str = TOKEN, nonce: str = NONCE) -> str:
    """What Plivo puts in X-Plivo-Signature-V3, computed as the SDK computes it."""
    base = construct_get_url(url, dict(params)) if method == "GET" else construct_post_url(url, dict(params))
    return get_signature_v3(token.encode(), base.decode(), nonce.encode()).decode()


def check(**changes) -> bool:
    arguments = {
        "method": "POST",
        "url": URL,
        "params": PARAMS,
        "nonce": NONCE,
        "signature": sign("POST", URL, PARAMS),
        "auth_token": TOKEN,
    } | changes
    return webhook_signature_is_valid(**arguments)


def test_a_webhook_signed_by_plivo_is_accepted():
    assert check()
    assert check(method="post")  # the method's case does not matter


@pytest.mark.parametrize(
    "changes",
    [
        {"auth_token": "another-token"},
        {"auth_token": ""},
        {"url": "https://voice.example.com/plivo/hangup/"},
        {"url": "http://voice.example.com/plivo/answer/"},
        {"params": PARAMS | {"To": "15005550006"}},
        {"nonce": ""},
        {"nonce": "another-nonce"},
        {"signature": ""},
        {"signature": "garbage"},
        {"signature": "\x00\xff,,,"},
        {"url": "not a url"},
        {"url": ""},
        {"method": "PUT"},
    ],
    ids=[
        "wrong-token",
        "no-token",
        "wrong-path",
        "wrong-scheme",
        "changed-param",
        "missing-nonce",
        "wrong-nonce",
        "missing-signature",
        "garbage-signature",
        "binary-signature",
        "garbage-url",
        "empty-url",
        "bad-method",
    ],
)
def test_anything_else_is_refused(changes):
    assert not check(**changes)


def test_the_header_may_hold_one_signature_per_token():
    real = sign("POST", URL, PARAMS)
    old = sign("POST", URL, PARAMS, token="the-rotated-out-token")
    assert check(signature=f"{old},{real}")
    assert check(signature=f"{old}, {real}")  # with a space after the comma
    assert not check(signature=f"{old},{old}")


def test_a_get_webhook_is_signed_over_its_query():
    url = URL + "?CallUUID=abc&Event=Hangup"
    assert check(method="GET", url=url, params={}, signature=sign("GET", url, {}))
    assert not check(method="GET", url=URL + "?CallUUID=abd&Event=Hangup", params={}, signature=sign("GET", url, {}))


@given(
    method=st.text(max_size=8),
    url=st.text(max_size=40),
    params=st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    nonce=st.text(max_size=10),
    signature=st.text(max_size=60),
)
def test_garbage_never_raises_and_is_never_valid(method, url, params, nonce, signature):
    assert (
        webhook_signature_is_valid(
            method=method, url=url, params=params, nonce=nonce, signature=signature, auth_token=TOKEN
        )
        is False
    )


# --- the websocket handshake ----------------------------------------------------------------


def scope(*, signature: str | None, nonce: str = NONCE, host: str = "voice.example.com", scheme: str = "wss") -> dict:
    headers = [(b"host", host.encode())]
    if signature is not None:
        headers += [(b"x-plivo-signature-v3", signature.encode()), (b"x-plivo-signature-v3-nonce", nonce.encode())]
    return {"type": "websocket", "scheme": scheme, "path": STREAM_PATH, "query_string": b"", "headers": headers}


def test_the_handshake_is_signed_as_a_get_of_the_https_form_of_the_stream_url():
    signature = sign("GET", f"https://voice.example.com{STREAM_PATH}", {})
    assert stream_signature_is_valid(
        scope(signature=signature, host="127.0.0.1:8000", scheme="ws"),
        public_url="https://voice.example.com",
        auth_token=TOKEN,
    )  # behind a proxy: PUBLIC_URL's host, not the one daphne sees
    assert stream_signature_is_valid(scope(signature=signature), public_url="", auth_token=TOKEN)


def test_the_http_form_plivos_stream_sdk_checks_is_accepted_too():
    signature = sign("GET", f"http://voice.example.com{STREAM_PATH}", {})
    assert stream_signature_is_valid(scope(signature=signature), public_url="", auth_token=TOKEN)
    assert stream_http_urls(scope(signature=None), public_url="https://voice.example.com/") == [
        f"https://voice.example.com{STREAM_PATH}",
        f"http://voice.example.com{STREAM_PATH}",
    ]


@pytest.mark.parametrize(
    ("handshake", "public_url", "token"),
    [
        (scope(signature=None), "", TOKEN),
        (scope(signature=sign("GET", f"https://voice.example.com{STREAM_PATH}", {})), "", ""),
        (scope(signature=sign("GET", f"https://voice.example.com{STREAM_PATH}", {}, token="other")), "", TOKEN),
        (scope(signature=sign("GET", "https://voice.example.com/plivo/media/other/", {})), "", TOKEN),
        (scope(signature=sign("GET", f"https://voice.example.com{STREAM_PATH}", {}), nonce="other"), "", TOKEN),
        (scope(signature=sign("GET", f"https://voice.example.com{STREAM_PATH}", {})), "https://evil.example", TOKEN),
        ({"type": "websocket", "headers": [(b"x-plivo-signature-v3", 5)]}, "", TOKEN),
        ({"type": "websocket", "headers": "garbage"}, "", TOKEN),
    ],
    ids=["unsigned", "no-token", "wrong-token", "other-path", "wrong-nonce", "other-host", "bad-header", "bad-scope"],
)
def test_a_handshake_not_signed_for_this_url_is_refused(handshake, public_url, token):
    assert not stream_signature_is_valid(handshake, public_url=public_url, auth_token=token)
