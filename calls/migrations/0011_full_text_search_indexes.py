"""GIN indexes for full-text search over transcripts and summaries (calls/search.py), PostgreSQL only.

Not in the models' Meta: SQLite has no GIN index, and its fallback search needs none. Built
CONCURRENTLY (so the migration is not atomic): on a deployment with years of transcripts, live
calls keep writing their turns while the index builds. The expressions must stay exactly those
of calls/search.py, or PostgreSQL will not use the indexes (tests/test_search.py checks the plan).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEXES = [
    ("transcriptitem", GinIndex(SearchVector("text", config="english"), name="transcript_text_search")),
    ("call", GinIndex(SearchVector("summary", config="english"), name="call_summary_search")),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in INDEXES:
            schema_editor.add_index(apps.get_model("calls", model), index, concurrently=True)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for model, index in INDEXES:
            schema_editor.remove_index(apps.get_model("calls", model), index, concurrently=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("calls", "0010_email_delivery_tool_call")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
