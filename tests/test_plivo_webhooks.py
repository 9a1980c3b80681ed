"""Plivo's webhooks and media stream, answered exactly as Twilio's are: same agents, policy, wording.

Signatures are computed as Plivo computes them (the SDK's own functions).
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET

import pytest
from channels.testing import WebsocketCommunicator
from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

from agents.models import AccessPolicy, PhoneNumber
from calls.carriers.plivo.carrier import transfer_token
from calls.models import Call, CallStatus, TranscriptItem
from calls.services import REFUSAL_MESSAGES
from voiceagent.asgi import application

from .consumer_helpers import FRAME, refresh

TOKEN = "plivo-webhook-token-for-tests"
NONCE = "31415926535897932384"
UUID = "6b1f2a7e-0f3c-4c2b-9d2e-2d6f4a1c9e01"
FORM = {"CallUUID": UUID, "From": "15550100001", "To": "15005550009", "Direction": "inbound", "CallStatus": "ringing"}


def signature(method: str, url: str, params: dict[str, str]) -> str:
    base = construct_get_url(url, params) if method == "GET" else construct_post_url(url, params)
    return get_signature_v3(TOKEN.encode(), base.decode(), NONCE.encode()).decode()


def post(client, path: str, form: dict[str, str], *, signed_url: str | None = None):
    url = signed_url or f"http://testserver{path}"
    headers = {"HTTP_X_PLIVO_SIGNATURE_V3": signature("POST", url, form), "HTTP_X_PLIVO_SIGNATURE_V3_NONCE": NONCE}
    return client.post(path, form, **headers)


@pytest.fixture(autouse=True)
def plivo(settings):
    settings.PLIVO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_URL = ""


@pytest.fixture
def plivo_number(demo_agent, demo_caller):
    return PhoneNumber.objects.create(
        number="+15005550009", carrier="plivo", agent=demo_agent, access_policy=AccessPolicy.ALLOWLIST
    )


@pytest.mark.django_db
def test_an_allowlisted_caller_gets_a_bidirectional_mulaw_stream(client, plivo_number):
    response = post(client, "/plivo/answer/", FORM)
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    stream = ET.fromstring(response.content).find("./Stream")
    assert stream.attrib == {
        "bidirectional": "true",
        "keepCallAlive": "true",
        "contentType": "audio/x-mulaw;rate=8000",
    }
    assert stream.text.startswith(f"ws://testserver/plivo/media/{UUID}/")
    call = Call.objects.get()
    assert (call.carrier, call.call_sid, call.status) == ("plivo", UUID, CallStatus.CONNECTING)
    assert (call.from_number, call.to_number) == ("+15550100001", "+15005550009")  # E.164, as Twilio's


@pytest.mark.django_db
def test_a_stranger_hears_the_same_refusal_as_on_twilio(client, plivo_number):
    response = post(client, "/plivo/answer/", FORM | {"From": "15559999999"})
    root = ET.fromstring(response.content)
    assert [child.tag for child in root] == ["Speak", "Hangup"]
    assert root.find("Speak").text == REFUSAL_MESSAGES[Call.objects.get().end_reason]
    assert Call.objects.get().status == CallStatus.REFUSED


@pytest.mark.django_db
def test_a_twilio_number_does_not_answer_plivo(client, demo_number, demo_caller):
    response = post(client, "/plivo/answer/", FORM | {"To": demo_number.number.lstrip("+")})
    assert ET.fromstring(response.content)[0].tag == "Speak"
    assert Call.objects.get().end_reason == "unknown_number"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_X_PLIVO_SIGNATURE_V3": "Zm9yZ2Vk", "HTTP_X_PLIVO_SIGNATURE_V3_NONCE": NONCE}],
    ids=["unsigned", "forged"],
)
def test_unsigned_or_forged_webhooks_get_403_and_create_nothing(client, plivo_number, headers):
    assert client.post("/plivo/answer/", FORM, **headers).status_code == 403
    assert client.post("/plivo/hangup/", {"CallUUID": UUID}, **headers).status_code == 403
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_without_a_plivo_token_its_webhooks_answer_503(client, settings, plivo_number):
    settings.PLIVO_AUTH_TOKEN = ""
    response = client.post("/plivo/answer/", FORM)
    assert response.status_code == 503 and b"PLIVO_AUTH_TOKEN" in response.content
    assert not Call.objects.exists()


@pytest.mark.django_db
def test_the_hangup_url_records_the_final_status(client, plivo_number):
    post(client, "/plivo/answer/", FORM)
    hangup = {"CallUUID": UUID, "CallStatus": "completed", "Duration": "42", "HangupCause": "NORMAL_CLEARING"}
    assert post(client, "/plivo/hangup/", hangup).status_code == 204
    call = Call.objects.get()
    assert (call.carrier_status, call.duration_seconds) == ("completed", 42)
    assert call.status == CallStatus.FAILED and call.ended_at  # hung up before any stream started


@pytest.mark.django_db
def test_the_transfer_url_dials_the_number_its_token_names(client):
    path = f"/plivo/transfer/{transfer_token('+15550100100')}/"
    response = post(client, path, {"CallUUID": UUID})
    assert ET.fromstring(response.content).find("./Dial/Number").text == "+15550100100"
    assert post(client, "/plivo/transfer/forged/", {"CallUUID": UUID}).status_code == 403


# --- The media stream -------------------------------------------------------------------


def plivo_handshake(path: str, *, signed: bool = True) -> WebsocketCommunicator:
    headers = [(b"host", b"testserver")]
    if signed:  # Plivo signs the handshake as a GET of the http(s) form of the ws URL
        headers += [
            (b"x-plivo-signature-v3", signature("GET", f"http://testserver{path}", {}).encode()),
            (b"x-plivo-signature-v3-nonce", NONCE.encode()),
        ]
    return WebsocketCommunicator(application, path, headers=headers)


def start_frame() -> str:
    start = {"callId": UUID, "streamId": "st-1", "accountId": "MA1", "tracks": ["inbound"]}
    return json.dumps({"event": "start", "sequenceNumber": 1, "start": start, "extra_headers": "{}"})


def stream_path(client) -> str:
    response = post(client, "/plivo/answer/", FORM)
    return ET.fromstring(response.content).find("./Stream").text.removeprefix("ws://testserver")


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_unsigned_plivo_handshake_is_refused_before_any_model_session(connector, plivo_number, client):
    path = await asyncio.to_thread(stream_path, client)
    connected, _ = await plivo_handshake(path, signed=False).connect()
    assert not connected and connector.requested == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_plivo_call_is_bridged_with_plivo_messages_and_barge_in_clears_it(connector, plivo_number, client):
    path = await asyncio.to_thread(stream_path, client)
    communicator = plivo_handshake(path)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(start_frame())
    await asyncio.wait_for(connector.connected.wait(), 5)
    model = connector.models[0]
    await model.wait_for("response.create")  # the greeting
    media = {"event": "media", "streamId": "st-1", "media": {"track": "inbound", "payload": FRAME}}
    await communicator.send_to(json.dumps(media))
    (append,) = await model.wait_for("input_audio_buffer.append")
    assert append["audio"] == FRAME  # byte for byte

    model.emit(type="response.created", response={"id": "r1"})
    model.emit(type="response.output_audio_transcript.delta", response_id="r1", item_id="i1", delta="Hello there")
    for _ in range(2):
        model.emit(type="response.output_audio.delta", response_id="r1", item_id="i1", delta=FRAME)
    play = json.loads(await communicator.receive_from())
    assert play["event"] == "playAudio" and play["media"]["payload"] == FRAME
    assert play["media"]["contentType"] == "audio/x-mulaw" and play["media"]["sampleRate"] == 8000
    checkpoint = json.loads(await communicator.receive_from())
    assert checkpoint == {"event": "checkpoint", "streamId": "st-1", "name": checkpoint["name"]}
    await communicator.receive_from()  # the second chunk and its checkpoint
    await communicator.receive_from()
    await communicator.send_to(json.dumps({"event": "playedStream", "streamId": "st-1", "name": checkpoint["name"]}))

    model.emit(type="input_audio_buffer.speech_started", item_id="u1")  # the caller talks over the agent
    assert json.loads(await communicator.receive_from()) == {"event": "clearAudio", "streamId": "st-1"}
    (truncate,) = await model.wait_for("conversation.item.truncate")
    assert truncate["item_id"] == "i1" and 20 <= truncate["audio_end_ms"] < 40  # first chunk heard, not both
    await communicator.send_to(json.dumps({"event": "clearedAudio", "streamId": "st-1", "sequenceNumber": 9}))

    await communicator.send_to(
        json.dumps({"event": "dtmf", "streamId": "st-1", "dtmf": {"track": "inbound", "digit": "4"}})
    )
    (note,) = await model.wait_for("conversation.item.create")
    assert note["item"]["content"][0]["text"] == "The caller pressed the key 4."

    await communicator.disconnect()  # Plivo sends no stop: the socket just closes
    await asyncio.wait_for(model.closed.wait(), 5)
    call = await refresh(await Call.objects.aget(call_sid=UUID))
    assert call.end_reason == "caller_hung_up" and call.stream_sid == "st-1"  # Plivo's way of saying stop
    turn = await TranscriptItem.objects.aget(call=call, role="agent")
    assert turn.interrupted and turn.full_text == "Hello there"


# --- A transfer: our REST request, then Plivo fetching the <Dial> from us --------------------


@pytest.mark.django_db
@pytest.mark.asyncio
async def test_a_plivo_transfer_points_plivo_at_our_signed_dial(client, settings):
    from calls.carriers.plivo.carrier import PlivoCarrier
    from calls.simulator.plivo_rest import FakePlivoRest

    auth_id = "MA" + "Q" * 18
    with FakePlivoRest(auth_id, TOKEN) as plivo:
        settings.PLIVO_AUTH_ID, settings.PLIVO_API_URL = auth_id, plivo.url
        settings.PUBLIC_URL = "https://voice.example.com"
        result = await PlivoCarrier().control().transfer(UUID, "+15550100100")
        (request,) = plivo.requests
    assert result.ok and request.body["legs"] == "aleg"
    aleg_url = request.body["aleg_url"]
    assert aleg_url.startswith("https://voice.example.com/plivo/transfer/")
    path = aleg_url.removeprefix("https://voice.example.com")
    response = await asyncio.to_thread(post, client, path, {"CallUUID": UUID}, signed_url=aleg_url)
    assert ET.fromstring(response.content).find("./Dial/Number").text == "+15550100100"


@pytest.mark.asyncio
async def test_a_plivo_transfer_without_a_public_url_fails_with_the_reason(settings):
    from calls.carriers.plivo.carrier import PlivoCarrier

    settings.PLIVO_AUTH_ID, settings.PUBLIC_URL = "MA" + "Q" * 18, ""
    result = await PlivoCarrier().control().transfer(UUID, "+15550100100")
    assert not result.ok and "PUBLIC_URL" in result.detail
