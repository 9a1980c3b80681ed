"""The back office in a real browser: Debian's chromium driven by Playwright, against a real
daphne, the realtime stand-in and the simulated carrier. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import pytest

from calls.audio import CLIP_TEXT, load_clip
from calls.simulator import CallScript, SimulatedCall
from calls.standin import RealtimeStandin

from .servers import ROOT, call_server

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


def require_browser() -> None:
    """Skip (or, with REQUIRE_BROWSER, fail) without Debian's chromium or the playwright package."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is not installed")


@contextlib.asynccontextmanager
async def logged_in(site, viewport: tuple[int, int] = (1280, 860)):
    """A chromium page, logged in to `site`'s admin as the demo superuser."""
    from playwright.async_api import async_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        page.set_default_timeout(10_000)
        await page.goto(f"{site.url}/admin/login/")
        await page.fill("#id_username", LOGIN[0])
        await page.fill("#id_password", LOGIN[1])
        await page.click("input[type=submit]")
        try:
            yield page
        finally:
            await browser.close()


@contextlib.contextmanager
def admin_site(workdir: Path, **overrides: str):
    """`call_server` with the demo superuser's login, once the browser is known to be there."""
    require_browser()
    login = {"DJANGO_SUPERUSER_USERNAME": LOGIN[0], "DJANGO_SUPERUSER_PASSWORD": LOGIN[1]}
    with call_server(workdir, **login, DJANGO_SUPERUSER_EMAIL="admin@example.com", **overrides) as served:
        yield served


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with admin_site(tmp_path_factory.mktemp("browser"), TWILIO_AUTH_TOKEN=AUTH_TOKEN) as served:
        yield served


@pytest.fixture
async def page(site):
    async with logged_in(site) as page:
        yield page


async def shot(page, name: str, *, full_page: bool = False) -> None:
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=full_page)


async def test_the_live_page_streams_a_call_and_staff_hang_it_up(site, page):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/admin/live/")
    await expect(page.locator("#live-status")).to_have_attribute("data-state", "open")  # subscribed
    async with RealtimeStandin(port=site.standin_port):
        call = SimulatedCall(base_url=site.url, auth_token=AUTH_TOKEN)
        # The caller would talk and stay on for 25 s; staff end it first.
        script = CallScript(caller_audio=load_clip("caller_question"), hangup_after_ms=25000, max_call_ms=30000)
        running = asyncio.create_task(call.run(script))
        card = page.locator(f'.live-call[data-call-sid="{call.call_sid}"]')
        await expect(card.locator(".who")).to_have_text("Jordan Demo", timeout=15000)
        await expect(card.locator("li.role-agent").first).to_contain_text(CLIP_TEXT["greeting"], timeout=15000)
        await expect(card.locator("li.role-caller").first).to_contain_text(CLIP_TEXT["caller_question"], timeout=20000)
        await shot(page, "06-live")

        await card.locator("button.hangup").click()
        await card.locator("button.hangup").click()  # the second click confirms
        await expect(card.locator(".state")).to_contain_text("staff ended", timeout=20000)
        result = await asyncio.wait_for(running, 30)
    await site.call_finalised(call.call_sid)
    assert not result.protocol_errors, result

    await page.goto(f"{site.url}/admin/calls/call/?q={call.call_sid}")
    await expect(page.locator("#result_list")).to_contain_text("Staff ended")
    await page.locator("#result_list tbody a").first.click()
    await expect(page.locator(".timeline")).to_contain_text(CLIP_TEXT["caller_question"])
    await expect(page.locator(".field-ended_by")).to_contain_text(LOGIN[0])
    await shot(page, "07-call", full_page=True)


# After the call above, so the lists have something to show.
async def test_the_admin_tour(site, page):
    from playwright.async_api import expect

    await expect(page.locator("#live-calls-module")).to_be_visible()
    await shot(page, "01-index")

    await page.goto(f"{site.url}/admin/agents/agent/")
    await page.locator("#result_list").get_by_role("link", name="Demo receptionist").click()
    await expect(page.locator("#id_instructions")).to_contain_text("Acme Plumbing")
    await page.click("text=What the model receives")  # a collapsed section
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
