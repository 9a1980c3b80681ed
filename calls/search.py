"""Text search over calls: what was said (transcript turns) and the post-call summary.

FALLBACK: a plain case-insensitive substring match that any database runs. The full-text
version (PostgreSQL full-text search, SQLite fallback) is written on another branch with this
same signature and replaces this file when the branches meet.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Call, TranscriptItem


def calls_matching(queryset: QuerySet[Call], text: str) -> QuerySet[Call]:
    """The calls of `queryset` whose transcript or summary contains `text`, each once.

    A subquery, not a join: a call whose turns match many times comes back once without a
    DISTINCT, which on SQLite doubled the time of the query (bench/mcp_search.py).
    """
    said = TranscriptItem.objects.filter(text__icontains=text).values("call_id")
    return queryset.filter(Q(pk__in=said) | Q(summary__icontains=text))
