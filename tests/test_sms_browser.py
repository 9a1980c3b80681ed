"""Text messages in the back office, in a real browser at 1366x768 (Playwright, Debian's chromium):
conversations as threads, search and filters, a failed reply with its reason, the SMS inlines.

The server runs the demo seed with the text API stand-in and the fake Twilio REST behind it;
messages come in signed, as Twilio sends them. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
import requests

from calls.simulator.twilio_messages import MessageFailure
from calls.simulator.twilio_rest import FakeTwilioRest
from calls.simulator.webhook import sign

from .postcall_helpers import threaded_text_api
from .servers import call_server
from .test_admin_browser import LOGIN, SHOTS, browser_available, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

AUTH_TOKEN = "sms-browser-auth-token"
ACCOUNT = "AC" + "8" * 32
STRANGER = "+15550109999"


def text(site, sid: str, body: str, from_: str = "+15550100001") -> None:
    form = {"MessageSid": sid, "AccountSid": ACCOUNT, "From": from_, "To": "+15005550006", "Body": body}
    headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, f"{site.url}/twilio/sms/", form)}
    assert requests.post(f"{site.url}/twilio/sms/", data=form, headers=headers, timeout=15).status_code == 200


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    browser_available()
    with (
        threaded_text_api() as text_api,
        FakeTwilioRest(ACCOUNT, AUTH_TOKEN) as twilio,
        call_server(
            tmp_path_factory.mktemp("sms_browser"),
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_ACCOUNT_SID=ACCOUNT,
            TWILIO_API_URL=twilio.url,
            OPENAI_BASE_URL=text_api.url,
            DJANGO_SUPERUSER_USERNAME=LOGIN[0],
            DJANGO_SUPERUSER_PASSWORD=LOGIN[1],
            DJANGO_SUPERUSER_EMAIL="admin@example.com",
        ) as served,
    ):
        text(served, "SM" + "1" * 32, "Are you open on Saturday?")
        twilio.wait_for_requests(1, timeout=30)
        twilio.fail_messages(MessageFailure(400, 21610, "Attempt to send to unsubscribed recipient"))
        text(served, "SM" + "2" * 32, "Can you come on Monday?")
        assert served.process.output.wait_for("failed: Twilio 21610", 30), served.process.output.tail()
        text(served, "SM" + "3" * 32, "Who is this?", from_=STRANGER)
        yield served


@pytest.fixture
async def page(site):
    async with staff_page(site.url, {"width": 1366, "height": 768}) as page:
        yield page


async def test_conversations_are_threads_with_search_and_filters(site, page):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/admin/sms/smsthread/")
    rows = page.locator("#result_list tbody tr")
    await expect(rows).to_have_count(2)
    await expect(page.locator("#result_list")).to_contain_text("Jordan Demo")
    await expect(page.locator("#result_list")).to_contain_text(STRANGER)
    await page.screenshot(path=SHOTS / "sms-01-threads.png")

    await page.fill("#searchbar", "Saturday")  # the text of a message
    await page.press("#searchbar", "Enter")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("+15550100001")
    await page.fill("#searchbar", STRANGER)  # a number
    await page.press("#searchbar", "Enter")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Not answered")

    await page.goto(f"{site.url}/admin/sms/smsthread/")
    filters = page.locator("#changelist-filter")
    await filters.get_by_role("link", name="Demo receptionist").click()
    await expect(rows).to_have_count(2)
    await filters.get_by_role("link", name="Has a failed reply").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Jordan Demo")
    await expect(rows.first.locator("td.field-failures")).to_have_text("failed")
    await page.screenshot(path=SHOTS / "sms-02-failed-filter.png")

    await rows.first.locator("th a").click()
    messages = page.locator(".inline-group")
    await expect(messages).to_contain_text("Are you open on Saturday?")
    await expect(messages).to_contain_text('Thanks for your message: "Are you open on Saturday?"')
    await expect(messages).to_contain_text("Twilio 21610: Unable to create record: Attempt to send to unsubscribed")
    await page.screenshot(path=SHOTS / "sms-03-thread.png", full_page=True)


async def test_failed_replies_are_listed_with_their_reason(site, page):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/admin/sms/smsmessage/?status__exact=failed")
    rows = page.locator("#result_list tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Twilio 21610")
    await page.screenshot(path=SHOTS / "sms-04-failed-messages.png")


async def test_the_persona_and_the_number_switch_are_on_their_pages(site, page):
    from playwright.async_api import expect

    await page.goto(f"{site.url}/admin/agents/agent/")
    await page.locator("#result_list").get_by_role("link", name="Demo receptionist").click()
    await expect(page.locator("#id_sms_persona-0-max_length")).to_have_value("320")
    await page.locator("#sms_persona-group").screenshot(path=SHOTS / "sms-05-persona.png")

    await page.goto(f"{site.url}/admin/agents/phonenumber/")
    await page.locator("#result_list").get_by_role("link", name="+15005550006").click()
    await expect(page.locator("#id_sms_setting-0-replies_enabled")).to_be_checked()
