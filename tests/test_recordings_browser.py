"""The call page's recording player and the cost ledger in a real browser (Debian's chromium, Playwright, 1366x768):
it loads the WAV, a click on a turn plays from there, and the turn being heard is highlighted."""

from __future__ import annotations

import asyncio
import re

import pytest

from calls.audio import load_clip
from calls.simulator import CallScript, SimulatedCall
from calls.standin import RealtimeStandin

from . import test_admin_browser as tour
from .test_admin_browser import AUTH_TOKEN, SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORT = {"width": 1366, "height": 768}
# The back-office tour's server and logged-in browser page (this module gets a server of its own).
site, page = tour.site, tour.page


async def test_the_player_jumps_to_a_clicked_turn_and_highlights_the_turn_playing(site, page):
    from playwright.async_api import expect

    await page.set_viewport_size(VIEWPORT)
    async with RealtimeStandin(port=site.standin_port):
        call = SimulatedCall(base_url=site.url, auth_token=AUTH_TOKEN)
        await call.run(CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=9000))
    stored = await asyncio.to_thread(site.process.output.wait_for, f"recording of call {call.call_sid} stored", 15)
    assert stored, site.process.output.tail()

    await page.goto(f"{site.url}/admin/calls/call/?q={call.call_sid}")
    await page.locator("#result_list tbody a").first.click()
    player = page.locator(".recording-player")
    await expect(player).to_have_attribute("data-state", "ready")  # the WAV was fetched and decoded
    duration = await page.evaluate("document.querySelector('.recording-player audio').duration")
    assert duration > 5  # the call's length, not an empty file

    caller_turn = page.locator(".timeline li.role-caller").first
    offset_ms = int(await caller_turn.get_attribute("data-offset-ms"))
    assert offset_ms > 0
    await caller_turn.click()
    await expect(caller_turn).to_have_class(re.compile(r"\bplaying\b"))
    position = await page.evaluate("document.querySelector('.recording-player audio').currentTime")
    assert offset_ms / 1000 <= position < offset_ms / 1000 + 2  # from the turn on (it may have played a little)
    await page.screenshot(path=SHOTS / "08-call-recording.png", full_page=True)

    greeting = page.locator(".timeline li.role-agent").first
    await page.evaluate("document.querySelector('.recording-player audio').currentTime = 0.2")
    await expect(greeting).to_have_class(re.compile(r"\bplaying\b"))  # seeking moves the highlight
    await expect(caller_turn).not_to_have_class(re.compile(r"\bplaying\b"))


# After the call above, so the ledger has a line.
async def test_the_ledger_in_the_admin_costs_prices_and_totals(site, page):
    from playwright.async_api import expect

    await page.set_viewport_size(VIEWPORT)
    await page.goto(f"{site.url}/admin/calls/call/")
    first_cost = page.locator("#result_list tbody tr td.field-cost").first
    await expect(first_cost).to_contain_text("$0.")
    await page.locator("#result_list tbody a").first.click()
    await expect(page.locator("table.call-cost")).to_contain_text("gpt-realtime")
    before = await page.locator("table.call-cost tr.total .money").inner_text()

    await page.goto(f"{site.url}/admin/costs/modelprice/?q=gpt-realtime")
    await page.locator("#result_list tbody a", has_text="gpt-realtime").first.click()
    await page.fill("#id_audio_output", "640")  # ten times the list price, from the same day
    await page.click("input[name=_save]")
    await expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    await page.goto(f"{site.url}/admin/costs/callcost/")
    await page.locator("#result_list tbody input.action-select").first.check()
    await page.select_option("select[name=action]", "reprice")
    await page.click("button[name=index]")
    await expect(page.locator(".messagelist")).to_contain_text("Priced 1 call(s) again.")
    await page.goto(f"{site.url}/admin/calls/call/")
    await page.locator("#result_list tbody a").first.click()
    after = await page.locator("table.call-cost tr.total .money").inner_text()
    assert float(after) > float(before)

    await page.goto(f"{site.url}/admin/costs/callcost/")
    await page.click("text=Totals by agent, number, caller")
    await expect(page.locator("#cost-report")).to_contain_text("Demo receptionist")
    await page.click(".report-choice >> text=caller")
    await expect(page.locator("#cost-report")).to_contain_text("+15550100001")
    await page.click(".report-choice >> text=day")
    await expect(page.locator("#cost-report tbody tr")).to_have_count(1)
    await page.screenshot(path=SHOTS / "09-cost-report.png", full_page=True)
