"""Callers in the admin: CSV export and import (good and bad rows), search by any spelling."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agents.models import Caller, CallerGroup

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:agents_caller_import"


def upload(client, text: str):
    file = SimpleUploadedFile("callers.csv", text.encode("utf-8-sig"), content_type="text/csv")
    return client.post(reverse(IMPORT_URL), {"file": file})


def test_export_writes_the_selected_callers_as_csv(admin_client, demo_caller):
    other = Caller.objects.create(number="+15550100002", name="Sam", notes="Line one\nline two", status="blocked")
    Caller.objects.create(number="+15550100003", name="Not selected")
    response = admin_client.post(
        reverse("admin:agents_caller_changelist"),
        {"action": "export_csv", "_selected_action": [demo_caller.pk, other.pk]},
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["number"], r["name"], r["group"], r["status"]) for r in rows] == [
        ("+15550100001", "Jordan", "primary", "allowed"),
        ("+15550100002", "Sam", "", "blocked"),
    ]
    assert rows[1]["notes"] == "Line one\nline two"  # quoted, survives the round trip


def test_the_changelist_links_to_the_import_page(admin_client):
    content = admin_client.get(reverse("admin:agents_caller_changelist")).content.decode()
    assert reverse(IMPORT_URL) in content and "Import CSV" in content
    assert admin_client.get(reverse(IMPORT_URL)).status_code == 200


def test_import_creates_new_callers_and_updates_existing_ones_by_number(admin_client, demo_caller):
    CallerGroup.objects.create(name="family")
    response = upload(
        admin_client,
        "number,name,group,status\n"
        "+1 (555) 010-0001,Jordan Lee,family,blocked\n"  # the demo caller, spelled differently
        "+44 20 7946 0958,Ada,,\n",
    )
    assert response.status_code == 302
    demo_caller.refresh_from_db()
    assert (demo_caller.name, demo_caller.group.name, demo_caller.status) == ("Jordan Lee", "family", "blocked")
    assert demo_caller.notes == "Prefers mornings."  # not a column in the file: left as it was
    ada = Caller.objects.get(number="+442079460958")
    assert (ada.name, ada.group, ada.status) == ("Ada", None, "allowed")


def test_import_reports_every_bad_line_and_saves_nothing(admin_client, demo_caller):
    response = upload(
        admin_client,
        "number,name,group,email,status\n"
        "+15550100009,Good Row,,,allowed\n"
        "not a number,Bad,,,allowed\n"
        "+15550100010,Unknown group,nonexistent,,allowed\n"
        "+15550100011,Bad email,,not-an-email,allowed\n"
        "+15550100012,Bad status,,,maybe\n"
        "+1 555 010 0009,Duplicate,,,allowed\n",
    )
    assert response.status_code == 200
    errors = dict(response.context["report"].errors)
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert errors[3].startswith("number:")
    assert "unknown group" in errors[4]
    assert errors[5].startswith("email:")
    assert errors[6].startswith("status:")
    assert "line 2" in errors[7]
    assert "Line 4: group: unknown group" in response.content.decode()
    assert not Caller.objects.filter(number="+15550100009").exists()  # all or nothing


def test_import_refuses_a_file_without_a_number_column(admin_client):
    response = upload(admin_client, "name,phone\nJordan,+15550100001\n")
    assert response.context["report"].errors[0][0] == 1
    assert "'number' column" in response.context["report"].errors[0][1]


def test_an_operator_cannot_import(operator_client):
    assert upload(operator_client, "number\n+15550100001\n").status_code == 403
    assert not Caller.objects.exists()


def test_search_finds_a_caller_by_a_formatted_number_or_by_name(admin_client, demo_caller):
    Caller.objects.create(number="+15550100002", name="Sam")
    url = reverse("admin:agents_caller_changelist")
    for term in ["+1 (555) 010-0001", "Jord", "0100001"]:
        found = list(admin_client.get(url, {"q": term}).context["cl"].result_list)
        assert found == [demo_caller], term
