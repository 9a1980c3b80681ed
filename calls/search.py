"""Calls whose transcript or summary mentions some text, or with a given number: the admin's search and
the MCP `search_calls`.

On PostgreSQL, full-text search in English (stemmed, so "appointments" finds "appointment"),
served by the GIN indexes of the `full_text_search_indexes` migration. On SQLite, a plain
case-insensitive fallback. Either way every word must appear in one turn, or in the summary.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections
from django.db.models import Q, QuerySet

from .models import Call, TranscriptItem

CONFIG = "english"
# The indexed expressions: a query must use these exact ones for PostgreSQL to use the indexes.
TRANSCRIPT_VECTOR = SearchVector("text", config=CONFIG)
SUMMARY_VECTOR = SearchVector("summary", config=CONFIG)


def calls_matching(queryset: QuerySet[Call], text: str) -> QuerySet[Call]:
    """The calls of `queryset` with `text` in a transcript turn or the summary; all of them for blank text."""
    if not text.split():
        return queryset
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(_full_text(text))
    return queryset.filter(_contains(text))


def _full_text(text: str) -> Q:
    # websearch syntax takes what people type: quoted phrases, "or", "-word"; it never raises.
    query = SearchQuery(text, config=CONFIG, search_type="websearch")
    turns = TranscriptItem.objects.annotate(vector=TRANSCRIPT_VECTOR).filter(vector=query).order_by()
    summaries = Call.objects.annotate(vector=SUMMARY_VECTOR).filter(vector=query).order_by()
    # One set of ids (a UNION), not two OR-ed subqueries: PostgreSQL then fetches just the matching
    # calls by primary key instead of testing every call against both.
    return Q(pk__in=turns.values("call_id").union(summaries.values("pk")))


def _contains(text: str) -> Q:
    words = text.split()
    turns = TranscriptItem.objects.filter(*(Q(text__icontains=word) for word in words))
    return Q(pk__in=turns.values("call_id")) | Q(*(Q(summary__icontains=word) for word in words))


def calls_with_number(queryset: QuerySet[Call], e164: str) -> QuerySet[Call]:
    """The calls of `queryset` from or to `e164` (already normalised by `agents.phone.to_e164`)."""
    return queryset.filter(Q(from_number=e164) | Q(to_number=e164))
