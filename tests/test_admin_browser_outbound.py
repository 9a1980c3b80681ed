"""Outbound calls in the back office, in a real browser (Debian's chromium, Playwright) against a real
daphne, the realtime stand-in and the local fake Twilio, which answers the call as a person."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from calls.audio import load_clip
from calls.simulator import CallScript
from calls.simulator.twilio_outbound import Callee
from calls.simulator.twilio_rest import FakeTwilioRest
from calls.standin import RealtimeStandin

from .servers import call_server, superuser_env
from .test_admin_browser import LOGIN, browser_available, shot, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

AUTH_TOKEN = "browser-outbound-token"
ACCOUNT_SID = "AC" + "6" * 32
PURPOSE = "Remind them of tomorrow's 10:00 appointment"


@pytest.fixture(scope="module")
def twilio():
    with FakeTwilioRest(ACCOUNT_SID, AUTH_TOKEN) as fake:
        fake.outbound.default = Callee(status="busy")
        yield fake


@pytest.fixture(scope="module")
def site(tmp_path_factory, twilio):
    workdir = tmp_path_factory.mktemp("browser-outbound")
    env = {"TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_API_URL": twilio.url}
    browser_available()
    with call_server(workdir, **superuser_env(*LOGIN), **env) as served:
        yield served


@pytest.fixture
async def page(site):
    async with staff_page(site.url, {"width": 1366, "height": 768}) as page:
        page.set_default_timeout(15_000)
        yield page


async def test_staff_call_a_caller_from_the_admin_and_see_who_answered(site, page, twilio):
    from playwright.async_api import expect

    script = CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=6000)
    twilio.outbound.callees["+15550100001"] = Callee(answered_by="human", script=script)
    async with RealtimeStandin(port=site.standin_port):
        await page.goto(f"{site.url}/admin/outbound/outboundcall/add/")
        await page.select_option("#id_agent", label="Demo receptionist")
        await page.select_option("#id_caller", label="Jordan Demo")
        await page.fill("#id_purpose", PURPOSE)
        await shot(page, "20-outbound-form")
        await page.click("input[name=_save]")
        await expect(page.locator(".messagelist")).to_contain_text("carrier accepted the call")
        (placed,) = await asyncio.to_thread(twilio.outbound.wait_for_call, 1)
        assert await asyncio.to_thread(placed.done.wait, 40)
    await site.call_finalised(placed.sid)

    await page.goto(f"{site.url}/admin/calls/call/?direction__exact=outbound")
    row = page.locator("#result_list tbody tr").first
    await expect(row).to_contain_text("Outbound")
    await expect(row).to_contain_text("A person")
    await shot(page, "21-outbound-calls")
    await page.goto(f"{site.url}/admin/outbound/outboundcall/")
    await expect(page.locator("#result_list")).to_contain_text("Reached")
    await page.locator("#result_list tbody a").first.click()
    await expect(page.locator("#attempts-group")).to_contain_text(placed.sid)
    await expect(page.locator("#attempts-group")).to_contain_text("A person")


async def test_do_not_call_stops_the_form_and_a_campaign_is_scheduled_from_a_csv(site, page, twilio):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/admin/agents/caller/")
    await page.locator("#result_list").get_by_role("link", name="+15550100001").click()
    await page.check("#id_do_not_call")
    await page.click("input[name=_save]")
    await page.goto(f"{site.url}/admin/outbound/outboundcall/add/")
    await page.select_option("#id_agent", label="Demo receptionist")
    await page.select_option("#id_caller", label="Jordan Demo")
    await page.click("input[name=_save]")
    await expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    await expect(page.locator("#outboundcall_form")).to_contain_text("is on the do-not-call list")
    placed_before = len(twilio.outbound.placed)

    await page.goto(f"{site.url}/admin/outbound/campaign/add/")
    await page.fill("#id_name", "Pick-up reminders")
    await page.select_option("#id_agent", label="Demo receptionist")
    await page.select_option("#id_phone_number", value=await _number_id(page, "+15005550006"))
    await page.fill("#id_purpose", "Their order is ready for pick-up")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    await page.fill("#id_starts_at_0", tomorrow.isoformat())
    csv = b"number,purpose\n+15550100201,\n+1 555 010 0202,Their repair is done\n"
    await page.set_input_files("#id_people", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": csv}])
    await page.click("input[name=_save]")
    await expect(page.locator(".messagelist")).to_contain_text("2 call(s) scheduled")
    await page.locator("#result_list").get_by_role("link", name="Pick-up reminders").click()
    calls = page.locator("#outbound_calls-group")
    await expect(calls).to_contain_text("+15550100202")
    await expect(calls.locator("tbody tr", has_text="Scheduled")).to_have_count(2)
    await shot(page, "22-campaign", full_page=True)
    assert len(twilio.outbound.placed) == placed_before  # nobody is called before the campaign starts


async def _number_id(page, number: str) -> str:
    options = page.locator("#id_phone_number option", has_text=number)
    return await options.first.get_attribute("value")
