# The list prices the ledger ships with (README, *Costs*: sources and dates). Staff edit them in
# the admin; a price change is a new row with a later valid-from date, so old calls keep theirs.

from decimal import Decimal

from django.db import migrations

# US$ per 1M tokens; per_minute for models billed by duration.
MODEL_PRICES = [
    # gpt-realtime (GA 2025-08-28): OpenAI's list prices as given in issue #18 (2026-12-01).
    ("gpt-realtime", "2025-08-28", {"text_input": "4", "cached_text_input": "0.40", "audio_input": "32",
                                    "cached_audio_input": "0.40", "text_output": "16", "audio_output": "64"}),
    # Caller transcription, billed per token (gpt-4o transcribe models) or per minute (whisper-1).
    ("gpt-4o-transcribe", "2025-03-20", {"text_input": "2.50", "audio_input": "6", "text_output": "10"}),
    ("gpt-4o-mini-transcribe", "2025-03-20", {"text_input": "1.25", "audio_input": "3", "text_output": "5"}),
    ("whisper-1", "2023-03-01", {"per_minute": "0.006"}),
]
# US$ per started minute, US local numbers.
CARRIER_PRICES = [
    ("twilio", "inbound", "2025-01-01", "0.0085"),
    ("twilio", "outbound", "2025-01-01", "0.0140"),
    ("plivo", "inbound", "2025-01-01", "0.0055"),
    ("plivo", "outbound", "2025-01-01", "0.0100"),
]


def add_prices(apps, schema_editor):
    ModelPrice = apps.get_model("costs", "ModelPrice")
    CarrierPrice = apps.get_model("costs", "CarrierPrice")
    for model, valid_from, prices in MODEL_PRICES:
        ModelPrice.objects.get_or_create(
            model=model, valid_from=valid_from, defaults={k: Decimal(v) for k, v in prices.items()}
        )
    for carrier, direction, valid_from, per_minute in CARRIER_PRICES:
        CarrierPrice.objects.get_or_create(
            carrier=carrier, direction=direction, valid_from=valid_from, defaults={"per_minute": Decimal(per_minute)}
        )


def remove_prices(apps, schema_editor):
    apps.get_model("costs", "ModelPrice").objects.filter(
        model__in=[m for m, _, _ in MODEL_PRICES], valid_from__in=[d for _, d, _ in MODEL_PRICES]
    ).delete()
    apps.get_model("costs", "CarrierPrice").objects.filter(valid_from="2025-01-01").delete()


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_initial")]

    operations = [migrations.RunPython(add_prices, remove_prices)]
