"""calls_matching: calls by what was said in them or their summary, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from calls.models import Call, Role, TranscriptItem
from calls.search import calls_matching

from .database_helpers import ON_POSTGRESQL, postgresql_only, sqlite_only

pytestmark = pytest.mark.django_db


def call(sid: str, *turns: str, summary: str = "") -> Call:
    made = Call.objects.create(call_sid=sid, from_number="+15550100001", to_number="+15005550006", summary=summary)
    for order, text in enumerate(turns):
        TranscriptItem.objects.create(call=made, order=order, role=Role.CALLER if order % 2 else Role.AGENT, text=text)
    return made


def sids(queryset) -> list[str]:
    return sorted(queryset.values_list("call_sid", flat=True))


@pytest.fixture
def calls():
    call("CA-dentist", "Hello, Smile Dental.", "I need to book an appointment for Tuesday.", "Tuesday at ten is free.")
    call("CA-hours", "Hello!", "When do you open on Sunday?", summary="Asked for the opening hours on Sunday.")
    call("CA-quiet", "Hello!")
    call("CA-twice", "Your appointment is confirmed.", "Thanks, and a second appointment for my son?")


def test_a_word_said_in_a_turn_finds_the_call_once(calls):
    assert sids(calls_matching(Call.objects.all(), "appointment")) == ["CA-dentist", "CA-twice"]
    assert calls_matching(Call.objects.all(), "appointment").count() == 2  # two matching turns, one row


def test_the_summary_is_searched_too_and_case_does_not_matter(calls):
    assert sids(calls_matching(Call.objects.all(), "OPENING")) == ["CA-hours"]


def test_every_word_must_be_in_one_turn_or_the_summary(calls):
    assert sids(calls_matching(Call.objects.all(), "tuesday appointment")) == ["CA-dentist"]
    assert sids(calls_matching(Call.objects.all(), "sunday appointment")) == []


def test_blank_text_keeps_the_queryset_and_a_filtered_queryset_stays_filtered(calls):
    assert calls_matching(Call.objects.all(), "  ").count() == 4
    only_twice = Call.objects.filter(call_sid="CA-twice")
    assert sids(calls_matching(only_twice, "appointment")) == ["CA-twice"]


def test_nothing_said_finds_nothing(calls):
    assert sids(calls_matching(Call.objects.all(), "refund")) == []


@postgresql_only
def test_postgresql_stems_words_so_plurals_and_tenses_match(calls):
    assert sids(calls_matching(Call.objects.all(), "appointments")) == ["CA-dentist", "CA-twice"]
    assert sids(calls_matching(Call.objects.all(), "booking")) == ["CA-dentist"]  # "book"
    assert sids(calls_matching(Call.objects.all(), "opens")) == ["CA-hours"]  # "open"


@postgresql_only
def test_postgresql_takes_web_search_syntax_and_never_raises_on_odd_input(calls):
    assert sids(calls_matching(Call.objects.all(), "appointment -tuesday")) == ["CA-twice"]
    assert sids(calls_matching(Call.objects.all(), '"book an appointment"')) == ["CA-dentist"]
    for odd in ['"unclosed', "a & | ! (", "-", "'); DROP TABLE calls_call; --"]:
        list(calls_matching(Call.objects.all(), odd))
    assert Call.objects.count() == 4


@postgresql_only
def test_postgresql_answers_from_the_gin_indexes(calls):
    """The query's expressions are the indexed ones (migration `full_text_search_indexes`): both indexes are used."""
    matching = calls_matching(Call.objects.all(), "appointment")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
        plan = matching.explain()
    assert "transcript_text_search" in plan and "call_summary_search" in plan, plan


@sqlite_only
def test_sqlite_falls_back_to_plain_case_insensitive_containment(calls):
    assert sids(calls_matching(Call.objects.all(), "appoint")) == ["CA-dentist", "CA-twice"]  # a part of a word
    assert sids(calls_matching(Call.objects.all(), "appointments")) == []  # no stemming


def test_the_admin_search_finds_calls_by_what_was_said(admin_client, calls):
    response = admin_client.get("/admin/calls/call/", {"q": "tuesday"})
    assert [c.call_sid for c in response.context["cl"].result_list] == ["CA-dentist"]
    response = admin_client.get("/admin/calls/call/", {"q": "CA-quiet"})  # the ids as before
    assert [c.call_sid for c in response.context["cl"].result_list] == ["CA-quiet"]


def test_the_engine_under_test_is_the_one_configured():
    assert connection.vendor == ("postgresql" if ON_POSTGRESQL else "sqlite")
