"""Messages end to end in real Chromium: Alice writes, Bob's phone gets the push,
the push opens the message."""

import pytest
import requests
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot
from .helpers import login, send_message

pytestmark = pytest.mark.browser
BOB_DEVICE = "bbbbbbbb-0000-4000-8000-00000000bbbb"


@pytest.fixture
def live_settings(standin):
    return {
        "ONESIGNAL_API_URL": standin.url,
        "ONESIGNAL_APP_ID": "11111111-2222-4333-8444-555555555555",
        "ONESIGNAL_API_KEY": "os_v2_app_browser_secret",
    }


def test_message_flow_pushes_recipient(page, live_server, live_app, standin):
    from demo_app.accounts import create_user

    with live_app.app_context():
        create_user("alice@example.com", PASSWORD)
        create_user("bob@example.com", PASSWORD)
    base = live_server.url
    # Bob's app registered his phone while he was logged in.
    bob = requests.Session()
    token = bob.get(base + "/login").text.split('name="csrf-token" content="')[1].split('"')[0]
    credentials = {"email": "bob@example.com", "password": PASSWORD, "csrf_token": token}
    bob.post(base + "/login", data=credentials)
    payload = {"platform": "ios", "oneSignalUserId": BOB_DEVICE, "oneSignalSubscribed": True}
    assert bob.post(base + "/register", json=payload).json()["device"]["linked"]

    login(page, base, "alice@example.com")
    send_message(page, base, "bob@example.com", "Lunch at noon? <b>bring</b> the demo")
    expect(page.get_by_text("bob@example.com's phone was notified")).to_be_visible()
    screenshot(page, "messages-sent-360")

    [push] = standin.requests
    assert push["body"]["include_subscription_ids"] == [BOB_DEVICE]
    assert push["body"]["contents"] == {"en": "Lunch at noon? <b>bring</b> the demo"}
    # opened inside the app: data.targetUrl, never OneSignal's browser-opening url
    assert "url" not in push["body"] and "app_url" not in push["body"]
    opened = push["body"]["data"]["targetUrl"]
    assert opened.startswith(base + "/messages/1?opened=")

    page.get_by_role("button", name="Log out").click()
    login(page, base, "bob@example.com")
    page.goto(base + "/messages")
    assert page.locator("#unread").inner_text() == "1 unread"
    screenshot(page, "messages-inbox-360")
    page.goto(opened)  # what tapping the push does
    expect(page.get_by_role("heading", name="From alice@example.com")).to_be_visible()
    greeting = "You opened “Message from alice@example.com” (push #1)"
    expect(page.get_by_text(greeting)).to_be_visible()
    assert page.url == base + "/messages/1"  # the token is not left in the address bar
    assert page.locator(".message-body").inner_text() == "Lunch at noon? <b>bring</b> the demo"
    screenshot(page, "message-opened-360")
    page.goto(base + "/messages")
    assert page.locator("#unread").count() == 0
    assert page.errors == [] and page.external_requests == []


def test_send_to_me_page_at_phone_width(page, live_server, live_app, standin):
    from demo_app.accounts import create_user

    with live_app.app_context():
        create_user("alice@example.com", PASSWORD)
    login(page, live_server.url, "alice@example.com")
    page.goto(live_server.url + "/send-to-me")
    page.get_by_label("Send to").select_option("external_id")
    page.get_by_role("button", name="Send a push to me").click()
    expect(page.locator(".result-headline")).to_have_text("Sent to external id user-1")
    screenshot(page, "send-to-me-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert "os_v2_app_browser_secret" not in page.content()


def test_order_page_shows_the_delivery_without_a_reload(page, live_server, live_app, standin):
    from demo_app.accounts import create_user
    from demo_app.jobs import run_due_jobs

    live_app.config["ORDER_DELAY_SECONDS"] = 0
    with live_app.app_context():
        create_user("alice@example.com", PASSWORD)
    base = live_server.url
    login(page, base, "alice@example.com")
    page.goto(base + "/orders")
    page.get_by_role("button", name="Simulate an order").click()
    expect(page.get_by_text("is on its way")).to_be_visible()
    expect(page.locator("#orders li")).to_contain_text("delivering")

    with live_app.app_context():  # the background runner's turn
        assert run_due_jobs() == 1
    expect(page.locator("#orders li")).to_contain_text("delivered", timeout=3000)
    screenshot(page, "order-delivered-360")
    assert page.errors == [] and page.external_requests == []
