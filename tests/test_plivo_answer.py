"""Plivo's answer XML, parsed back: the stream exactly as CONTRACT.md names it, refusals, transfers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from calls.carriers.plivo.answer import refusal, stream_answer, transfer_xml

STREAM_URL = "wss://voice.example.com/plivo/media/0e4c5d9e/tok:en/"


def parsed(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return root


def test_the_stream_answer_is_bidirectional_mulaw_and_keeps_the_call_alive():
    (stream,) = parsed(stream_answer(STREAM_URL))
    assert stream.tag == "Stream"
    assert stream.text == STREAM_URL  # Plivo takes the URL as the element's text
    assert stream.attrib == {
        "bidirectional": "true",
        "keepCallAlive": "true",
        "contentType": "audio/x-mulaw;rate=8000",
    }


def test_status_callback_and_extra_headers_when_given():
    xml = stream_answer(
        STREAM_URL, status_callback_url="https://voice.example.com/plivo/stream/", extra_headers={"calltoken": "abc123"}
    )
    (stream,) = parsed(xml)
    assert stream.attrib["statusCallbackUrl"] == "https://voice.example.com/plivo/stream/"
    assert stream.attrib["extraHeaders"] == "calltoken=abc123"


@pytest.mark.parametrize(
    "headers",
    [{"call_token": "abc"}, {"token": "a:b"}, {"t": "x" * 600}],
    ids=["underscore-key", "colon-value", "too-long"],
)
def test_extra_headers_plivo_would_mangle_are_refused(headers):
    with pytest.raises(ValueError):
        stream_answer(STREAM_URL, extra_headers=headers)


def test_a_refusal_speaks_then_hangs_up_with_the_text_escaped():
    speak, hangup = parsed(refusal("Sorry, this line is for <members> & friends only."))
    assert speak.tag == "Speak" and speak.text == "Sorry, this line is for <members> & friends only."
    assert hangup.tag == "Hangup" and len(hangup) == 0 and not hangup.attrib


def test_the_transfer_answer_dials_the_number():
    (dial,) = parsed(transfer_xml("+15550100100"))
    (number,) = dial
    assert (dial.tag, number.tag, number.text) == ("Dial", "Number", "+15550100100")
