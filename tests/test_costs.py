"""The cost ledger: figures from known usage against hand-computed ones, prices valid from a
date, budget alerts once each a month, and the admin's pages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from calls.bridge.events import TranscriptionUsage, Usage
from calls.models import Call
from costs.models import BudgetAlert, CallCost, ModelPrice
from costs.pricing import TokenPrices, model_cost, transcription_cost
from costs.services import agent_budget_check, call_cost_record

# gpt-realtime's shipped list prices (costs/migrations/0002_list_prices.py), per 1M tokens.
REALTIME = TokenPrices(
    text_input=Decimal("4"),
    cached_text_input=Decimal("0.40"),
    audio_input=Decimal("32"),
    cached_audio_input=Decimal("0.40"),
    text_output=Decimal("16"),
    audio_output=Decimal("64"),
)
# 10,000 text in (6,000 cached), 50,000 audio in (20,000 cached), 1,000 text out, 30,000 audio out.
KNOWN = Usage(
    input_tokens=60_000,
    output_tokens=31_000,
    total_tokens=91_000,
    input_text=10_000,
    input_audio=50_000,
    cached_text=6_000,
    cached_audio=20_000,
    output_text=1_000,
    output_audio=30_000,
    responses=3,
)
# By hand, in US$:
#   text in, uncached   4,000 * 4 / 1M    = 0.016
#   text in, cached     6,000 * 0.40 / 1M = 0.0024
#   audio in, uncached 30,000 * 32 / 1M   = 0.96
#   audio in, cached   20,000 * 0.40 / 1M = 0.008
#   text out            1,000 * 16 / 1M   = 0.016
#   audio out          30,000 * 64 / 1M   = 1.92
#                                   total = 2.9224
KNOWN_MODEL_COST = Decimal("2.9224")


def test_known_usage_costs_the_hand_computed_figure_and_cached_tokens_are_not_billed_twice():
    assert model_cost(KNOWN, REALTIME) == KNOWN_MODEL_COST
    # Billing the cached tokens again at the full rate would add 6,000 * 4 + 20,000 * 32 per 1M:
    assert model_cost(KNOWN, REALTIME) != KNOWN_MODEL_COST + Decimal("0.664")
    uncached = Usage(input_text=10_000, input_audio=50_000, output_text=1_000, output_audio=30_000)
    assert model_cost(uncached, REALTIME) - model_cost(KNOWN, REALTIME) == Decimal("0.6536")  # 0.664 - 0.0104


def test_transcription_is_priced_by_token_or_by_minute():
    per_token = TokenPrices(text_input=Decimal("2.50"), audio_input=Decimal("6"), text_output=Decimal("10"))
    # 1,000 audio * 6 + 200 text out * 10, per 1M = 0.006 + 0.002
    assert transcription_cost(TranscriptionUsage(input_audio=1_000, output_text=200), per_token) == Decimal("0.008")
    # whisper-1: 90 s at $0.006 a minute
    per_minute = TokenPrices(per_minute=Decimal("0.006"))
    assert transcription_cost(TranscriptionUsage(seconds=90.0), per_minute) == Decimal("0.009")


@pytest.fixture
def finished_call(demo_number):
    return Call.objects.create(
        call_sid="CA" + "5" * 32,
        from_number="+15550100001",
        to_number=demo_number.number,
        agent=demo_number.agent,
        phone_number=demo_number,
        duration_seconds=61,  # two started minutes
    )


@pytest.mark.django_db
def test_a_call_is_priced_with_the_shipped_list_prices(finished_call):
    cost = call_cost_record(
        call_id=finished_call.pk,
        usage=KNOWN,
        transcription=TranscriptionUsage(input_audio=1_000, output_text=200),
        model="gpt-realtime",
        transcription_model="gpt-4o-transcribe",
    )
    cost.refresh_from_db()
    assert cost.model_cost == KNOWN_MODEL_COST
    assert cost.transcription_cost == Decimal("0.008")
    assert (cost.billed_minutes, cost.carrier_cost) == (2, Decimal("0.017"))  # Twilio inbound, 2 * $0.0085
    assert cost.total == Decimal("2.9474") and cost.unpriced == ""
    assert (cost.cached_text, cost.cached_audio, cost.responses) == (6_000, 20_000, 3)


@pytest.mark.django_db
def test_a_newer_price_applies_from_its_date_and_an_unknown_model_is_named(finished_call):
    ModelPrice.objects.create(model="gpt-realtime", valid_from=date.today() + timedelta(days=1), audio_output=1)
    cost = call_cost_record(
        call_id=finished_call.pk,
        usage=KNOWN,
        transcription=TranscriptionUsage(),
        model="gpt-realtime",
        transcription_model="gpt-4o-transcribe",
    )
    assert cost.model_cost == KNOWN_MODEL_COST  # tomorrow's price is not today's
    ModelPrice.objects.create(model="gpt-realtime", valid_from=date.today(), audio_output=64)  # others 0 from today
    cost = call_cost_record(
        call_id=finished_call.pk,
        usage=KNOWN,
        transcription=TranscriptionUsage(),
        model="gpt-realtime",
        transcription_model="gpt-4o-transcribe",
    )
    assert cost.model_cost == Decimal("1.92")
    cost = call_cost_record(
        call_id=finished_call.pk,
        usage=KNOWN,
        transcription=TranscriptionUsage(seconds=3.0),
        model="some-model",
        transcription_model="some-transcriber",
    )
    assert cost.model_cost == 0 and cost.unpriced == "some-model, some-transcriber"


@pytest.mark.django_db
def test_budget_alerts_go_at_80_and_100_percent_once_each_a_month(finished_call, demo_agent):
    demo_agent.monthly_budget = Decimal("3.00")
    demo_agent.notify_emails = "owner@example.com"
    demo_agent.save()
    call_cost_record(
        call_id=finished_call.pk,
        usage=KNOWN,
        transcription=TranscriptionUsage(),
        model="gpt-realtime",
        transcription_model="",
    )  # $2.9394: 98% of the budget
    assert agent_budget_check(agent_id=demo_agent.pk) == [80]
    assert agent_budget_check(agent_id=demo_agent.pk) == []  # once
    assert [m.subject for m in mail.outbox] == [f"{demo_agent.name}: 80% of the {timezone.now():%B %Y} budget used"]
    second = Call.objects.create(call_sid="CA" + "6" * 32, from_number="+1", to_number="+2", agent=demo_agent)
    call_cost_record(
        call_id=second.pk,
        usage=Usage(output_audio=1_000),
        transcription=TranscriptionUsage(),
        model="gpt-realtime",
        transcription_model="",
    )  # + $0.064: over the budget
    assert agent_budget_check(agent_id=demo_agent.pk) == [100]
    assert agent_budget_check(agent_id=demo_agent.pk) == []
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["owner@example.com"]
    next_month = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    assert agent_budget_check(agent_id=demo_agent.pk, today=next_month) == []  # a new month, nothing spent yet
    assert BudgetAlert.objects.count() == 2


@pytest.mark.django_db
def test_the_call_list_and_page_show_the_cost_and_the_report_totals_per_agent(admin_client, finished_call):
    call_cost_record(
        call_id=finished_call.pk,
        usage=KNOWN,
        transcription=TranscriptionUsage(),
        model="gpt-realtime",
        transcription_model="",
    )
    listing = admin_client.get(reverse("admin:calls_call_changelist")).content.decode()
    assert "$2.9394" in listing
    page = admin_client.get(reverse("admin:calls_call_change", args=[finished_call.pk])).content.decode()
    assert "2.9224" in page and "0.0170" in page and "2.9394" in page
    for by, who in (("agent", finished_call.agent.name), ("number", "+15005550006"), ("caller", "+15550100001")):
        for period in ("day", "month"):
            report = admin_client.get(reverse("admin:costs_callcost_report"), {"by": by, "period": period})
            assert report.status_code == 200
            assert who in report.content.decode() and "2.9394" in report.content.decode()


@pytest.mark.django_db
def test_prices_are_edited_in_the_admin_and_operators_cannot(admin_client, operator_client):
    price = ModelPrice.objects.get(model="gpt-realtime")
    url = reverse("admin:costs_modelprice_change", args=[price.pk])
    assert admin_client.get(url).status_code == 200
    assert operator_client.get(url).status_code == 403
    assert CallCost.objects.count() == 0
