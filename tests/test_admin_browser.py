"""The back office in a real browser: Debian's chromium driven by Playwright, against a real
daphne, the realtime stand-in and the simulated carrier. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from calls.audio import CLIP_TEXT, load_clip
from calls.simulator import CallScript, SimulatedCall
from calls.standin import RealtimeStandin

from .servers import ROOT, call_server, superuser_env

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AUTH_TOKEN = "browser-auth-token"
LOGIN = ("admin", "browser-test-password")
SHOTS = ROOT / "artifacts" / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (REQUIRE_BROWSER is set)")
    pytest.skip(reason)


def browser_available() -> None:
    """Skip (fail with REQUIRE_BROWSER) without Debian's chromium or the playwright package."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed")


@asynccontextmanager
async def staff_page(url: str, viewport: dict[str, int]) -> AsyncIterator[Any]:
    """A chromium page logged in to the admin at `url` as the seeded superuser."""
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport=viewport)
        page.set_default_timeout(10_000)
        await page.goto(f"{url}/admin/login/")
        await page.fill("#id_username", LOGIN[0])
        await page.fill("#id_password", LOGIN[1])
        await page.click("input[type=submit]")
        yield page
        await browser.close()


async def shot(page, name: str, *, full_page: bool = False) -> None:
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=full_page)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    browser_available()
    with call_server(
        tmp_path_factory.mktemp("browser"), TWILIO_AUTH_TOKEN=AUTH_TOKEN, **superuser_env(*LOGIN)
    ) as served:
        yield served


@pytest.fixture
async def page(site):
    async with staff_page(site.url, {"width": 1280, "height": 860}) as page:
        yield page


async def test_the_live_page_streams_a_call_and_staff_hang_it_up(site, page):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/admin/live/")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "open")  # subscribed
    async with RealtimeStandin(port=site.standin_port):
        call = SimulatedCall(base_url=site.url, auth_token=AUTH_TOKEN)
        # The caller talks, then stays on the line for 25 s whatever the agent does; staff end it first.
        script = CallScript(caller_audio=load_clip("caller_question"), hold_ms=25000, max_call_ms=30000)
        running = asyncio.create_task(call.run(script))
        card = page.locator(f'.live-call[data-call-sid="{call.call_sid}"]')
        await expect(card.locator(".who")).to_have_text("Jordan Demo", timeout=15000)
        await expect(card.locator(".from")).to_have_text("+15550100001")
        await expect(card.locator(".line")).to_have_text("→ Demo line +15005550006")
        await expect(card.locator(".agent")).to_have_text("· Demo receptionist")
        await expect(card.locator("li.role-agent").first).to_contain_text(CLIP_TEXT["greeting"], timeout=15000)
        await expect(card.locator("li.role-caller").first).to_contain_text(CLIP_TEXT["caller_question"], timeout=20000)
        await expect(card.locator("li.role-agent").nth(1)).to_contain_text(CLIP_TEXT["answer"], timeout=20000)
        clock = await card.locator(".clock").text_content()
        await expect(card.locator(".clock")).not_to_have_text(clock)  # it ticks
        await page.set_viewport_size({"width": 1366, "height": 768})
        overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert await page.evaluate(overflow) == 0  # no horizontal scrolling at 1366x768
        await page.set_viewport_size({"width": 1280, "height": 860})
        await shot(page, "06-live")

        button = card.locator("button.hangup")
        await button.click()
        await button.click()  # the second click confirms
        await expect(card.locator(".state")).to_contain_text("ended: staff ended", timeout=20000)
        # The call's own "ended" event sets the button: nothing left saying goodbye.
        await expect(button).to_have_text("Ended")
        await expect(button).to_be_disabled()
        await expect(card).to_have_class("live-call ended")  # greyed; its clock no longer ticks
        result = await asyncio.wait_for(running, 30)
    await site.call_finalised(call.call_sid)
    assert not result.protocol_errors, result

    await page.goto(f"{site.url}/admin/calls/call/?q={call.call_sid}")
    await expect(page.locator("#result_list")).to_contain_text("Ended by staff")
    await page.locator("#result_list tbody a").first.click()
    await expect(page.locator(".timeline")).to_contain_text(CLIP_TEXT["caller_question"])
    await expect(page.locator(".field-ended_by")).to_contain_text(LOGIN[0])
    await shot(page, "07-call", full_page=True)


# After the call above, so the calls list has Jordan's call to find.
async def test_a_number_typed_as_people_do_finds_the_caller_and_their_calls(site, page):
    from playwright.async_api import expect

    for path in ("agents/caller", "calls/call"):
        for typed in ("(555) 010-0001", "555-010-0001", "+1 555 010 0001"):
            await page.goto(f"{site.url}/admin/{path}/")
            await page.fill("#searchbar", typed)
            await page.press("#searchbar", "Enter")
            await expect(page.locator("#result_list")).to_contain_text("Jordan Demo")
        await page.fill("#searchbar", "(555) 010-0002")  # a number nobody called from
        await page.press("#searchbar", "Enter")
        await expect(page.locator("#result_list")).to_have_count(0)


# After the call above, so the lists have something to show.
async def test_the_admin_tour(site, page):
    from playwright.async_api import expect

    await expect(page.locator("#live-calls-module")).to_be_visible()
    await shot(page, "01-index")

    await page.goto(f"{site.url}/admin/agents/agent/")
    await page.locator("#result_list").get_by_role("link", name="Demo receptionist").click()
    await expect(page.locator("#id_instructions")).to_contain_text("Acme Plumbing")
    await page.locator("details.session-preview-box > summary").click()  # folded until asked for
    await expect(page.locator("pre.session-preview")).to_contain_text('"type": "session.update"')
    await expect(page.locator("pre.session-preview")).to_contain_text('"format": {')
    await shot(page, "02-agent")
    await page.locator("fieldset", has=page.locator("pre.session-preview")).screenshot(path=SHOTS / "03-preview.png")

    await page.goto(f"{site.url}/admin/agents/phonenumber/")
    await expect(page.locator("#result_list")).to_contain_text("+15005550006")
    await shot(page, "04-numbers")

    await page.goto(f"{site.url}/admin/agents/caller/")
    await expect(page.locator("#result_list")).to_contain_text("Jordan Demo")
    await page.click("text=Import CSV")
    await expect(page.locator("input[type=file]")).to_be_visible()
    await page.goto(f"{site.url}/admin/agents/caller/")
    await shot(page, "05-callers")
