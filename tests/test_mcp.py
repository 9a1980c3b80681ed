"""The MCP server's reads, tokens and settings, without a transport (tests/test_mcp_stdio.py and
tests/test_mcp_http.py drive the same tools through the SDK's own client)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, Role, TranscriptItem
from calls.search import calls_matching
from mcp_server import selectors
from mcp_server.http import allowed_hosts, transport_security
from mcp_server.models import McpToken
from mcp_server.tokens import mcp_token_authenticate, mcp_token_issue, mcp_token_revoke, token_digest

from .mcp_helpers import JORDAN_SID, SALES_SID, STRANGER_SID, call_history
from .servers import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(demo_agent, demo_caller):
    return call_history(demo_agent, demo_caller)


@pytest.fixture
def nobody(django_user_model):
    """A staff member in no group: may log in to the admin, may view no call."""
    return django_user_model.objects.create_user("nora", password="pw-for-tests", is_staff=True)


def sids(rows) -> list[str]:
    return [row.carrier_call_id for row in rows]


def test_recent_calls_are_newest_first_with_the_contract_fields(operator, history):
    rows = selectors.recent_calls(user=operator, limit=10)
    assert sids(rows) == [JORDAN_SID, STRANGER_SID, SALES_SID]
    assert rows[0].model_dump(mode="json") | {"started_at": "…", "ended_at": "…"} == {
        "id": history["jordan"].pk,
        "carrier_call_id": JORDAN_SID,
        "direction": "inbound",
        "from_number": "+15550100001",
        "to_number": "+15005550006",
        "agent": "Receptionist",
        "caller_name": "Jordan",
        "started_at": "…",
        "ended_at": "…",
        "end_reason": "agent_ended",
        "summary": "Jordan asked to move the dentist appointment to Friday.",
    }
    assert sids(selectors.recent_calls(user=operator, limit=1)) == [JORDAN_SID]


def test_a_user_without_permission_to_view_calls_sees_none(nobody, history):
    assert selectors.recent_calls(user=nobody, limit=10) == []
    assert selectors.search_calls(user=nobody, text="appointment") == []
    assert selectors.get_call(user=nobody, call_id=JORDAN_SID) is None
    assert selectors.call_stats(user=nobody, since=timezone.now() - timedelta(days=30), until=timezone.now()).calls == 0


def test_an_inactive_user_sees_none_whatever_their_permissions(superuser, history):
    superuser.is_active = False
    assert selectors.recent_calls(user=superuser, limit=10) == []


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"text": "RESCHEDULE"}, [JORDAN_SID]),  # a caller's turn, any case
        ({"text": "dentist"}, [JORDAN_SID]),  # the summary
        ({"text": "opening hours"}, [STRANGER_SID]),
        ({"text": "acme"}, [JORDAN_SID]),
        ({"number": "+15550100001"}, [JORDAN_SID]),  # the caller's side
        ({"number": "+15005550006"}, [JORDAN_SID, STRANGER_SID, SALES_SID]),  # the number called
        ({"agent": "sales"}, [SALES_SID]),
        ({"agent": "Receptionist", "text": "hours"}, [STRANGER_SID]),
        ({"text": "nothing like this was said"}, []),
    ],
)
def test_search_combines_text_number_and_agent(operator, history, criteria, expected):
    assert sids(selectors.search_calls(user=operator, **criteria)) == expected


def test_search_by_period_and_limit(operator, history):
    now = timezone.now()
    assert sids(selectors.search_calls(user=operator, since=now - timedelta(days=3))) == [JORDAN_SID, STRANGER_SID]
    assert sids(selectors.search_calls(user=operator, until=now - timedelta(days=3))) == [SALES_SID]
    assert sids(selectors.search_calls(user=operator, limit=2)) == [JORDAN_SID, STRANGER_SID]


def test_text_search_lists_a_call_once_however_many_turns_match(history):
    for order in range(10, 13):
        TranscriptItem.objects.create(call=history["jordan"], order=order, role=Role.CALLER, text="appointment again")
    assert list(calls_matching(Call.objects.all(), "appointment")) == [history["jordan"]]


def test_get_call_by_our_id_or_the_carriers_with_transcript_tools_and_usage(operator, history):
    by_id = selectors.get_call(user=operator, call_id=str(history["jordan"].pk))
    assert by_id == selectors.get_call(user=operator, call_id=JORDAN_SID)
    detail = by_id.model_dump(mode="json")
    assert detail["carrier_call_id"] == JORDAN_SID
    assert detail["transcript"] == [  # who said what, in order; the tool turn is in tool_calls
        {"speaker": "agent", "text": "Hello from Acme! How can I help?", "interrupted": True},
        {"speaker": "caller", "text": "Could I reschedule my appointment?", "interrupted": False},
        {"speaker": "agent", "text": "Done, see you Friday.", "interrupted": False},
    ]
    (tool_call,) = detail["tool_calls"]
    assert tool_call == {"name": "end_call", "arguments": '{"reason": "done"}', "result": "ok", "error": ""}
    assert detail["usage"] == {"input_tokens": 300, "output_tokens": 200, "total_tokens": 500, "duration_seconds": 120}
    assert selectors.get_call(user=operator, call_id="CA-unknown") is None


def test_transcripts_and_tool_calls_need_their_own_view_permissions(nobody, history):
    nobody.user_permissions.add(Permission.objects.get(codename="view_call", content_type__app_label="calls"))
    nobody = type(nobody).objects.get(pk=nobody.pk)  # permissions are cached per instance
    detail = selectors.get_call(user=nobody, call_id=JORDAN_SID)
    assert detail is not None and detail.summary
    assert (detail.transcript, detail.tool_calls) == ([], [])


def test_call_stats_count_calls_per_agent_and_outcome_in_the_period(operator, history):
    now = timezone.now()
    stats = selectors.call_stats(user=operator, since=now - timedelta(days=7), until=now).model_dump()
    assert stats["calls"] == 2
    assert stats["agents"] == [
        {
            "agent": "Receptionist",
            "calls": 2,
            "outcomes": {"agent_ended": 1, "caller_hung_up": 1},
            "average_duration_seconds": 120.0,
        }
    ]
    month = selectors.call_stats(user=operator, since=now - timedelta(days=30), until=now, agent="SALES")
    assert [(a.agent, a.calls) for a in month.agents] == [("Sales", 1)]


# --- Tokens ----------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_digest(operator):
    token, secret = mcp_token_issue(user=operator, label="laptop")
    stored = McpToken.objects.filter(pk=token.pk).values().get()
    assert secret not in repr(stored) and stored["digest"] == token_digest(secret)
    assert len(secret) > 40


def test_authentication_records_the_last_use_and_refuses_revoked_or_wrong_tokens(operator):
    token, secret = mcp_token_issue(user=operator)
    assert token.last_used_at is None
    assert mcp_token_authenticate(secret=secret).user == operator
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert mcp_token_authenticate(secret=secret + "x") is None
    mcp_token_revoke(token=token)
    assert mcp_token_authenticate(secret=secret) is None


def test_a_token_stops_working_when_its_user_is_no_longer_active_staff(operator):
    _token, secret = mcp_token_issue(user=operator)
    operator.is_staff = False
    operator.save()
    assert mcp_token_authenticate(secret=secret) is None


def test_the_command_prints_the_token_alone_on_the_last_line(operator, capsys):
    call_command("mcp_token", "olivia", "--label", "claude")
    secret = capsys.readouterr().out.splitlines()[-1]
    token = mcp_token_authenticate(secret=secret)
    assert token is not None and token.user == operator and token.label == "claude"


def test_the_command_refuses_a_user_who_is_not_staff(django_user_model):
    django_user_model.objects.create_user("visitor", password="pw-for-tests")
    with pytest.raises(CommandError, match="No active staff user"):
        call_command("mcp_token", "visitor")
    assert not McpToken.objects.exists()


def test_the_stdio_server_refuses_a_user_who_is_not_active_staff(operator):
    operator.is_active = False
    operator.save()
    with pytest.raises(CommandError, match="No active staff user 'olivia'"):
        call_command("mcp_server", "--user", "olivia")


def test_the_admin_lists_tokens_with_their_last_use_and_revokes_them(admin_client, operator):
    token, secret = mcp_token_issue(user=operator, label="laptop")
    mcp_token_authenticate(secret=secret)
    changelist = reverse("admin:mcp_server_mcptoken_changelist")
    page = admin_client.get(changelist).content.decode()
    assert "laptop" in page and "active" in page
    token.refresh_from_db()
    assert secret not in page and token.digest not in page
    change_page = admin_client.get(reverse("admin:mcp_server_mcptoken_change", args=[token.pk])).content.decode()
    assert "laptop" in change_page and token.digest not in change_page

    admin_client.post(changelist, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert mcp_token_authenticate(secret=secret) is None


def test_the_search_benchmark_runs_on_a_small_history():
    command = [sys.executable, "bench/mcp_search.py", "--turns", "400", "--turns-per-call", "4", "--runs", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "100 calls, 400 transcript turns" in run.stdout
    rows = [line for line in run.stdout.splitlines() if line.startswith("| text, rare word")]
    assert rows and rows[0].split("|")[2].strip() == "1"  # the one call in a thousand (call 7) that said it


# --- Hosts and origins -----------------------------------------------------------------------


def test_allowed_hosts_never_carry_a_wildcard_over(settings):
    settings.ALLOWED_HOSTS = ["*", ".example.org", "calls.example.com"]
    settings.PUBLIC_URL = "https://abc.ngrok.app"
    settings.MCP_ALLOWED_HOSTS = []
    assert allowed_hosts() == ["calls.example.com", "abc.ngrok.app", "localhost", "127.0.0.1", "[::1]"]
    security = transport_security()
    assert security.enable_dns_rebinding_protection
    assert "*" not in security.allowed_hosts and "calls.example.com:*" in security.allowed_hosts
    assert "https://abc.ngrok.app" in security.allowed_origins
    assert not any("example.org" in origin for origin in security.allowed_origins)


def test_mcp_allowed_hosts_replace_the_django_ones(settings):
    settings.ALLOWED_HOSTS = ["calls.example.com"]
    settings.PUBLIC_URL = ""
    settings.MCP_ALLOWED_HOSTS = ["mcp.example.com"]
    assert allowed_hosts() == ["mcp.example.com", "localhost", "127.0.0.1", "[::1]"]
