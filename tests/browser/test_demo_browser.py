""" "Demo on this laptop": one button on the start page turns on the simulator,
links its phone and sets the external id; then a push to me, and a second user
in a private window writes a message."""

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot
from .helpers import assert_accessible, login, send_message

pytestmark = pytest.mark.browser


@pytest.fixture
def live_settings(standin):
    return {
        "ONESIGNAL_API_URL": standin.url,
        "ONESIGNAL_APP_ID": "11111111-2222-4333-8444-555555555555",
        "ONESIGNAL_API_KEY": "os_v2_app_browser_secret",
    }


def test_demo_on_this_laptop(page, browser, live_server, live_app, standin):
    from demo_app.accounts import create_user

    with live_app.app_context():
        alice = create_user("alice@example.com", PASSWORD)
        external_id = alice.external_id
    base = live_server.url
    page.goto(base + "/")
    expect(page.get_by_role("button", name="Demo on this laptop")).to_have_count(0)  # log in first
    login(page, base, "alice@example.com")
    page.goto(base + "/")
    expect(page.locator("#demo-next")).to_be_hidden()
    posts = []
    page.on(
        "request",
        lambda r: posts.append((r.url, r.headers.get("x-csrftoken")))
        if r.method == "POST"
        else None,
    )
    page.get_by_role("button", name="Demo on this laptop").click()

    steps = page.locator("#demo-steps-done li")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("Done Simulator on")
    expect(steps.nth(1)).to_contain_text("Done Phone linked to your account: Google Pixel 8")
    expect(steps.nth(2)).to_contain_text(f"Done External id {external_id} set on the phone")
    expect(page.get_by_role("heading", name="What to try next")).to_be_visible()
    expect(page.locator("#simulated-banner")).to_be_visible()  # no reload was needed
    expect(page.get_by_text("open a private window")).to_be_visible()
    # the two calls carried the page's CSRF token
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert [(url.removeprefix(base), sent) for url, sent in posts] == [
        ("/api/devices", token),
        ("/api/external-id", token),
    ]
    screenshot(page, "demo-started-360")
    assert_accessible(page, "the start page after the demo set-up")

    # What the site now knows: the simulated phone, and the external id set on it.
    device_id = page.evaluate("JSON.parse(localStorage['pushlab.simulator.state']).subscriptionId")
    page.goto(base + "/devices")
    assert device_id in page.locator("li.device").first.inner_text()
    page.goto(base + "/profile")
    expect(page.locator(".pill-set")).to_have_text(f"set to {external_id}")
    # The simulator stays on: the start page says what to try without a new set-up.
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="What to try next")).to_be_visible()

    # Try next 1: send to me reaches the simulated phone's subscription id.
    page.get_by_role("link", name="Send a push to me").click()
    page.get_by_role("button", name="Send a push to me").click()
    expect(page.locator(".result-headline")).to_have_text(
        "Arrived on your simulated phone · sent through OneSignal"
    )
    # and the simulated phone shows it, as a phone notification would
    expect(page.locator(".sim-note").first).to_be_visible()
    assert standin.requests[-1]["body"]["include_subscription_ids"] == [device_id]

    # Try next 2: a second user, in a private window (another browser context).
    private = browser.new_context(viewport={"width": 360, "height": 740})
    bob = private.new_page()
    bob.goto(base + "/signup")
    bob.get_by_label("Email").fill("bob@example.com")
    bob.get_by_label("Password", exact=True).fill(PASSWORD)
    bob.get_by_label("Repeat password").fill(PASSWORD)
    bob.get_by_role("button", name="Sign up").click()
    send_message(bob, base, "alice@example.com", "Hello from the private window")
    expect(bob.get_by_text("alice@example.com's phone was notified")).to_be_visible()
    assert standin.requests[-1]["body"]["include_subscription_ids"] == [device_id]
    private.close()
    expect(page.locator("#messages-count")).to_have_text("1 unread", timeout=15_000)
    assert page.errors == [] and page.external_requests == []
