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


def test_import_saves_the_good_rows_and_lists_each_bad_one_with_its_line_and_reason(admin_client, demo_caller):
    response = upload(
        admin_client,
        "number,name,group,email,status\n"
        "+15550100009,Good Row,,,allowed\n"
        "not a number,Bad,,,allowed\n"
        "+15550100010,Unknown group,nonexistent,,allowed\n"
        "+15550100011,Bad email,,not-an-email,allowed\n"
        "+15550100012,Bad status,,,maybe\n"
        "+1 555 010 0009,Duplicate,,,allowed\n"
        "(555) 010-0013,National,,,allowed\n",
    )
    assert response.status_code == 200  # the page stays, listing the rows to fix
    report = response.context["report"]
    errors = dict(report.errors)
    assert sorted(errors) == [3, 4, 5, 6, 7]
    assert errors[3].startswith("number:")
    assert "unknown group" in errors[4]
    assert errors[5].startswith("email:")
    assert errors[6].startswith("status:")
    assert "line 2" in errors[7]
    page = response.content.decode()
    assert "Line 4: group: unknown group" in page and "Imported: 2 added, 0 updated." in page
    assert "5 row(s) were not imported" in page
    assert (report.created, report.updated) == (2, 0)
    assert Caller.objects.get(number="+15550100009").name == "Good Row"
    assert Caller.objects.get(number="+15550100013").name == "National"
    assert not Caller.objects.filter(number__in=["+15550100010", "+15550100011", "+15550100012"]).exists()


def test_import_reads_national_numbers_in_the_default_region(admin_client, demo_caller, settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    response = upload(admin_client, "number,name\n020 7946 0958,Ada\n+1 555-010-0001,Jordan Lee\n")
    assert response.status_code == 302  # every row imported: back to the list
    assert Caller.objects.get(number="+442079460958").name == "Ada"
    demo_caller.refresh_from_db()
    assert demo_caller.name == "Jordan Lee"


def test_import_refuses_a_file_without_a_number_column(admin_client):
    response = upload(admin_client, "name,phone\nJordan,+15550100001\n")
    report = response.context["report"]
    assert "'number' column" in report.refused and not report.errors
    assert "Nothing was imported" in response.content.decode()
    assert not Caller.objects.exists()


def test_an_operator_cannot_import(operator_client):
    assert upload(operator_client, "number\n+15550100001\n").status_code == 403
    assert not Caller.objects.exists()


# How people type the demo caller's +15550100001.
CALLER_SPELLINGS = ["+1 (555) 010-0001", "(555) 010-0001", "555-010-0001", "+1 555 010 0001", "15550100001"]


def test_search_finds_a_caller_by_a_formatted_number_or_by_name(admin_client, demo_caller):
    Caller.objects.create(number="+15550100002", name="Sam")
    url = reverse("admin:agents_caller_changelist")
    for term in [*CALLER_SPELLINGS, "Jord", "0100001"]:
        found = list(admin_client.get(url, {"q": term}).context["cl"].result_list)
        assert found == [demo_caller], term


def test_search_reads_a_national_number_in_the_default_region(admin_client, settings):
    ada = Caller.objects.create(number="+442079460958", name="Ada")
    url = reverse("admin:agents_caller_changelist")
    assert list(admin_client.get(url, {"q": "020 7946 0958"}).context["cl"].result_list) == []  # US: not hers
    settings.PHONE_DEFAULT_REGION = "GB"
    assert list(admin_client.get(url, {"q": "020 7946 0958"}).context["cl"].result_list) == [ada]


def test_the_caller_form_stores_a_national_number_in_e164(admin_client):
    response = admin_client.post(
        reverse("admin:agents_caller_add"), {"number": "(555) 010-0007", "name": "Kim", "status": "allowed"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Caller.objects.get(name="Kim").number == "+15550100007"


def test_the_caller_form_says_why_a_number_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:agents_caller_add"), {"number": "555-0100", "name": "Kim", "status": "allowed"}
    )
    assert response.status_code == 200  # seven digits: dialable locally only, no E.164 form
    assert "or as dialled within US." in str(response.context["adminform"].form.errors["number"])
    assert not Caller.objects.exists()
