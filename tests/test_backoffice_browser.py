"""The back office at a laptop's 1366 x 768 in Debian's chromium (Playwright), against a real daphne
serving the demo seed plus a week of calls (tests/backoffice_seed.py). Screenshots go to
artifacts/screenshots/. The server and the logged-in page are test_admin_browser's fixtures."""

# ruff: noqa: F811  (the imported fixtures are named as test arguments, as pytest wants)
from __future__ import annotations

import re

import pytest

from .servers import manage
from .test_admin_browser import SHOTS, page, site  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORT = {"width": 1366, "height": 768}
SEED = "from tests.backoffice_seed import seed_calls; seed_calls()"
# The document is no wider than the window, and a list's table no wider than the box it sits in.
FITS = """() => {
  const page = document.documentElement, table = document.querySelector('#result_list');
  return {page: page.scrollWidth, window: page.clientWidth,
          table: table ? Math.ceil(table.getBoundingClientRect().width) : 0,
          box: table ? Math.ceil(table.parentElement.getBoundingClientRect().width) : 0};
}"""


@pytest.fixture(scope="module", autouse=True)
def seeded(site) -> None:
    manage(site.env, "shell", "-c", SEED)


@pytest.fixture(autouse=True)
async def laptop(page) -> None:
    await page.set_viewport_size(VIEWPORT)


def admin_pages(site) -> list[str]:
    """Every registered model's list, and the pages of one of each thing staff open."""
    from django.contrib import admin
    from django.urls import reverse

    lists = [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]
    ((call_id,),) = site.rows("SELECT id FROM calls_call WHERE call_sid = ?", "CA" + "f" * 32)
    ((agent_id,),) = site.rows("SELECT id FROM agents_agent WHERE name = 'Demo receptionist'")
    ((number_id,),) = site.rows("SELECT id FROM agents_phonenumber WHERE number = '+15005550006'")
    ((caller_id,),) = site.rows("SELECT id FROM agents_caller WHERE number = '+15550100001'")
    ((tool_call_id,),) = site.rows("SELECT id FROM tools_toolinvocation")
    ((event_id,),) = site.rows("SELECT id FROM calls_callevent")
    pages = [
        "/",
        "/admin/",
        "/admin/live/",
        f"/admin/calls/call/{call_id}/change/",
        f"/admin/calls/callevent/{event_id}/change/",
        f"/admin/agents/agent/{agent_id}/change/",
        "/admin/agents/agent/add/",
        f"/admin/agents/phonenumber/{number_id}/change/",
        f"/admin/agents/caller/{caller_id}/change/",
        f"/admin/tools/toolinvocation/{tool_call_id}/change/",
        "/admin/tools/httptool/add/",
    ]
    return pages + lists


async def test_every_admin_page_fits_a_laptop_screen(site, page):
    wide = {}
    for path in admin_pages(site):
        response = await page.goto(site.url + path)
        assert response.ok, path
        measured = await page.evaluate(FITS)
        if measured["page"] > measured["window"] or measured["table"] > measured["box"]:
            wide[path] = measured
    assert not wide


async def test_the_calls_list_shows_what_a_supervisor_scans_for(site, page):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/admin/calls/call/")
    headers = await page.locator("#result_list thead th").all_inner_texts()
    columns = [h.strip().lower() for h in headers if h.strip()]
    expected = ["when", "caller", "direction", "line · agent", "duration", "outcome", "interrupted", "tokens", "cost"]
    assert columns[:9] == expected
    first = page.locator("#result_list tbody tr").first  # the newest call, minutes ago
    await expect(first.locator(".field-when")).to_contain_text(re.compile(r" ago|just now"))
    await expect(first.locator(".field-when .when")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    await expect(first.locator(".field-duration")).to_have_text("1:35")
    await expect(first.locator(".outcome")).to_have_text("Completed")
    await expect(first.locator(".field-caller_display")).to_contain_text("+15550100001")
    await expect(first.locator(".field-direction_display")).to_have_text("Inbound")
    badges = set(await page.locator("#result_list .outcome").all_inner_texts())
    assert {"Completed", "Transferred", "Caller hung up", "Refused", "Failed", "No answer"} <= badges
    await page.screenshot(path=SHOTS / "08-calls-list.png")

    await page.locator("#changelist-filter").get_by_role("link", name="Caller hung up").click()
    await expect(page.locator("#result_list tbody tr")).to_have_count(2)
    assert set(await page.locator("#result_list .outcome").all_inner_texts()) == {"Caller hung up"}
    filters = await page.locator("#changelist-filter").inner_text()
    assert "Follow up needed: yes" in filters and "follow_up_needed" not in filters


async def test_the_call_page_starts_with_the_conversation(site, page):
    from playwright.async_api import expect

    ((call_id,),) = site.rows("SELECT id FROM calls_call WHERE call_sid = ?", "CA" + "f" * 32)
    await page.goto(f"{site.url}/admin/calls/call/{call_id}/change/")
    tops = []
    for selector in (".call-header", ".timeline", ".call-summary", ".details-title"):
        tops.append((await page.locator(selector).bounding_box())["y"])
    assert tops == sorted(tops)
    assert tops[1] < VIEWPORT["height"]  # the transcript starts within the first screen
    await expect(page.locator(".call-header .outcome")).to_have_text("Transferred")
    await expect(page.locator(".call-header .duration")).to_have_text("2:10")
    await expect(page.locator(".timeline li.kind-tool")).to_contain_text("take_message")
    await expect(page.locator(".timeline li.interrupted .unheard")).to_have_text(" How can I help?")
    await expect(page.locator("body")).not_to_contain_text("Duration seconds")
    await page.screenshot(path=SHOTS / "09-call-page.png")


async def test_a_tool_s_settings_are_a_form_that_refuses_a_wrong_number(site, page):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/admin/agents/agent/")
    await page.locator("#result_list").get_by_role("link", name="Demo receptionist").click()
    group = page.locator("#tool_settings-group")
    await group.locator(".add-row a").click()
    row = group.locator("tr.form-row.dynamic-tool_settings").last
    await row.locator("select[name$='-tool']").select_option("transfer_call")
    targets = row.locator("fieldset[data-tool=transfer_call] textarea")
    await expect(targets).to_be_visible()
    await expect(row.locator("fieldset[data-tool=send_email]")).to_be_hidden()

    await targets.fill("front desk = 555")
    await page.locator("input[name=_continue]").click()
    await expect(page.locator(".errornote")).to_be_visible()
    await expect(page.locator("#tool_settings-group .errorlist")).to_contain_text("does not match")
    assert not site.rows("SELECT id FROM tools_toolsetting WHERE tool = 'transfer_call'")

    targets = page.locator("#tool_settings-group textarea[name$='.transfer_call.targets']:visible")
    await expect(targets).to_have_value("front desk = 555")  # what was typed, shown again
    await targets.fill("front desk = +15550100100")
    await page.locator("input[name=_continue]").click()
    await expect(page.locator(".messagelist .success")).to_be_visible()
    ((saved,),) = site.rows("SELECT settings FROM tools_toolsetting WHERE tool = 'transfer_call'")
    assert "+15550100100" in saved and "front desk" in saved
    await page.locator("#tool_settings-group").screenshot(path=SHOTS / "10-tool-settings.png")


async def test_the_dashboard_draws_the_week_by_the_hour(site, page):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/")
    await expect(page.locator("h1")).to_have_text("Dashboard")
    bars = page.locator("#per-hour svg rect.bar")
    counts = [int(n) for n in await bars.evaluate_all("bars => bars.map(b => b.dataset.count)")]
    ((week,),) = site.rows("SELECT count(*) FROM calls_call")  # the seeded calls, all within the week
    assert counts and sum(counts) == week
    box = await page.locator("#per-hour svg").bounding_box()
    assert box["width"] > 600 and box["height"] > 50
    assert await bars.first.evaluate("b => b.getBoundingClientRect().height") > 0
    await expect(page.locator("#today .outcome").first).to_be_visible()
    await expect(page.locator("#reasons li").first).to_contain_text("Opening hours")
    icon = await page.locator("link[rel=icon]").get_attribute("href")
    assert (await page.request.get(site.url + icon)).ok
    await page.screenshot(path=SHOTS / "00-dashboard.png")
    await page.get_by_role("link", name="Back office", exact=True).click()
    await page.get_by_role("link", name="View site").click()
    await expect(page.locator("h1")).to_have_text("Dashboard")
