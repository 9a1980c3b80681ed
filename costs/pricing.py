"""The cost arithmetic: usage and list prices in, US dollars out. Plain Python (Decimal), no Django.

Prices of tokens are per million, as the providers publish them. Cached input tokens are part
of the input tokens the API reports (a subset): they are billed once, at the cached rate, and
the rest of the input at the full rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from calls.bridge.events import TranscriptionUsage, Usage

MILLION = Decimal(1_000_000)
ZERO = Decimal(0)


@dataclass(frozen=True)
class TokenPrices:
    """US dollars per 1M tokens (and, for models billed by duration, per minute of audio)."""

    text_input: Decimal = ZERO
    cached_text_input: Decimal = ZERO
    audio_input: Decimal = ZERO
    cached_audio_input: Decimal = ZERO
    text_output: Decimal = ZERO
    audio_output: Decimal = ZERO
    per_minute: Decimal = ZERO


def model_cost(usage: Usage, prices: TokenPrices) -> Decimal:
    """What a realtime model's responses cost. Without a text/audio split, the input is priced as text."""
    input_text, input_audio = usage.input_text, usage.input_audio
    if input_text + input_audio == 0:
        input_text = usage.input_tokens
    output_text, output_audio = usage.output_text, usage.output_audio
    if output_text + output_audio == 0:
        output_text = usage.output_tokens
    cached_text, cached_audio = min(usage.cached_text, input_text), min(usage.cached_audio, input_audio)
    dollars = (
        (input_text - cached_text) * prices.text_input
        + cached_text * prices.cached_text_input
        + (input_audio - cached_audio) * prices.audio_input
        + cached_audio * prices.cached_audio_input
        + output_text * prices.text_output
        + output_audio * prices.audio_output
    )
    return dollars / MILLION


def transcription_cost(usage: TranscriptionUsage, prices: TokenPrices) -> Decimal:
    """What transcribing the caller cost: by tokens (gpt-4o transcribe models) or by the minute (whisper-1)."""
    tokens = (
        usage.input_text * prices.text_input
        + usage.input_audio * prices.audio_input
        + usage.output_text * prices.text_output
    )
    return tokens / MILLION + Decimal(str(usage.seconds)) / 60 * prices.per_minute


def billed_minutes(duration_seconds: int | None) -> int:
    """Carriers bill each started minute."""
    return math.ceil((duration_seconds or 0) / 60)
