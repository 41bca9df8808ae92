"""The whole loop in real Chromium, twice: link the device, send to me (the
stand-in plays OneSignal), the push opens this site's page inside the app, the
open is recorded and greeted, and /notifications shows OneSignal's counts and
"opened". Once on the site's simulator (the browser is the phone), once over
the real median-js-bridge with the fake Android transport."""

import json

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot
from .helpers import (
    FAKE_NATIVE,
    LINK_LIB,
    MEDIAN_JS,
    PLAYER,
    V5_INFO,
    first_screen,
    open_fold,
    require_median_js,
)  # fmt: skip

pytestmark = pytest.mark.browser
APP_ID = "11111111-2222-4333-8444-555555555555"
APP_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile gonative"


@pytest.fixture
def live_settings(standin):
    return {
        "ONESIGNAL_API_URL": standin.url,
        "ONESIGNAL_APP_ID": APP_ID,
        "ONESIGNAL_API_KEY": "os_v2_app_loop_secret",
        "PUSH_STATS_INTERVAL": 0,  # every page open may ask again
        # OneSignal's users change under the tests' hands: no answer is reused
        "ONESIGNAL_LOOKUP_INTERVAL": 0,
    }


@pytest.fixture
def user(live_app):
    from demo_app.accounts import create_user

    with live_app.app_context():
        return create_user("dev@example.com", PASSWORD).external_id


def opens(live_app) -> list[tuple[str, str]]:
    from demo_app.extensions import db
    from demo_app.models import PushOpen

    with live_app.app_context():
        rows = db.session.execute(sa.select(PushOpen.how, PushOpen.user_agent)).all()
        return [(how, agent or "") for how, agent in rows]


def login(page, base):
    page.goto(f"{base}/login?next=/onesignal")
    page.get_by_label("Email").fill("dev@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/onesignal")


def send_to_me(page, base, title):
    page.goto(base + "/send-to-me")
    page.get_by_label("Send to").select_option("devices")
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Send a push to me").click()


def the_push(standin) -> dict:
    [push] = [r for r in standin.requests if r["method"] == "POST"]
    body = push["body"]
    assert "url" not in body and "app_url" not in body  # it opens inside the app
    return body


def test_loop_on_the_simulator(browser, live_server, live_app, standin, user):
    base = live_server.url
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, base)
    # 1. link the device: the salesperson's one click, from the verdict
    page.locator("#v-info").get_by_role("button", name="Simulate the app").click()
    page.wait_for_load_state("load")
    expect(page.locator("#v-link")).to_have_class("v-row v-ok")
    device = page.evaluate("JSON.parse(localStorage['pushlab.simulator.state']).subscriptionId")
    expect(page.locator("#v-info")).to_contain_text("simulated app")
    standin.identities[device] = {"external_id": None, "onesignal_id": "os-1"}
    page.locator("#v-external").get_by_role("button", name="Set it now").click()
    expect(page.locator("#v-external")).to_have_class("v-row v-ok")
    first_screen(page, base, "loop-simulator-onesignal-360x740")
    # 2. send to me: the result leads with what happened, the phone shows it
    send_to_me(page, base, "Hello from the loop")
    expect(page.locator(".result-headline")).to_have_text(
        "Arrived on your simulated phone · sent through OneSignal"
    )
    note = page.locator(".sim-note").filter(has_text="Hello from the loop")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Push Lab")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    note.evaluate("el => Promise.all(el.getAnimations().map((a) => a.finished))")
    screenshot(page, "loop-simulated-notification-360x740", full_page=False)
    # 3. the request OneSignal got opens this site's page, with its token
    body = the_push(standin)
    assert body["include_subscription_ids"] == [device]
    target = body["data"]["targetUrl"]
    assert target.startswith(base + "/notifications?opened=")
    message_id = next(iter(standin.created))
    standin.taps[message_id] = 1  # OneSignal counts the tap
    # 4. tapping it: the pushOpened listener, then targetUrl: recorded, greeted
    note.get_by_role("button", name="Tap to open").click()
    page.wait_for_url(base + "/notifications")
    expect(page.get_by_text("You opened “Hello from the loop” (push #1)")).to_be_visible()
    assert [how for how, _ in opens(live_app)] == ["url+listener"]  # one tap, one open
    # 5. /notifications shows OneSignal's counts and the opens
    page.reload()
    row = page.locator("#push-1")
    expect(row).to_contain_text(
        "handed to Apple/Google: 1 · unsubscribed: 0 · errors: 0 · tapped: 1"
    )
    expect(row).to_contain_text("Opened 1 time")
    expect(row).to_contain_text("its link and the listener (one tap)")
    screenshot(page, "loop-notifications-360")
    # the notification was tapped: it is gone from the phone on every page
    page.goto(base + "/devices")
    expect(page.locator(".sim-note")).to_have_count(0)
    page.goto(base + "/onesignal")
    expect(page.locator("#v-opened")).to_have_class("v-row v-ok")
    assert errors == []
    context.close()


def test_simulated_phone_shows_a_message_from_someone_else(browser, live_server, live_app, standin,
                                                           user):  # fmt: skip
    from demo_app.accounts import create_user

    with live_app.app_context():
        create_user("alice@example.com", PASSWORD)
    base = live_server.url
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    login(page, base)
    page.locator("#v-info").get_by_role("button", name="Simulate the app").click()
    expect(page.locator("#v-link")).to_have_class("v-row v-ok")
    page.goto(base + "/orders")  # any page: the simulated phone is the browser
    other = browser.new_context()
    alice = other.new_page()
    alice.goto(base + "/login")
    alice.get_by_label("Email").fill("alice@example.com")
    alice.get_by_label("Password").fill(PASSWORD)
    alice.get_by_role("button", name="Log in").click()
    alice.goto(base + "/messages")
    alice.get_by_label("To", exact=True).fill("dev@example.com")
    alice.get_by_label("Message").fill("<b>Lunch?</b>")
    alice.get_by_role("button", name="Send message").click()
    note = page.locator(".sim-note")
    expect(note).to_contain_text("Message from alice@example.com")
    expect(note).to_contain_text("<b>Lunch?</b>")  # shown as text, never as HTML
    note.evaluate("el => Promise.all(el.getAnimations().map((a) => a.finished))")
    screenshot(page, "loop-message-notification-360x740", full_page=False)
    note.get_by_role("button", name="Tap to open").click()
    expect(page.get_by_role("heading", name="From alice@example.com")).to_be_visible()
    other.close()
    context.close()


@pytest.fixture
def app_phone(browser):
    """The app on Android: its user agent, the real median-js-bridge and a
    native side that answers like the Android app."""
    require_median_js()
    answers = {"median://onesignal/info": V5_INFO,
               "median://onesignal/login": {"success": True}}  # fmt: skip
    context = browser.new_context(viewport={"width": 360, "height": 740}, user_agent=APP_UA)
    context.add_init_script(
        script="\n".join([FAKE_NATIVE % json.dumps(answers), MEDIAN_JS.read_text(), LINK_LIB])
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def test_loop_over_the_real_bridge(app_phone, live_server, live_app, standin, user):
    page, base = app_phone, live_server.url
    standin.identities[PLAYER] = {"external_id": user, "onesignal_id": V5_INFO["oneSignalId"]}
    login(page, base)
    expect(page.locator("#v-link")).to_have_class("v-row v-ok")
    expect(page.locator("#v-external")).to_contain_text(
        f"OneSignal ties this device to external id {user}"
    )
    # the page listens for opens the app reports
    subscribed = [c for c in page.evaluate("window.__nativeCalls")
                  if c["medianCommand"] == "median://events/subscribe"]  # fmt: skip
    assert subscribed[0]["data"] == {"eventName": "_median_onesignal_push_opened"}
    first_screen(page, base, "loop-bridge-onesignal-360x740")
    send_to_me(page, base, "Hello over the bridge")
    expect(page.locator(".result-headline")).to_have_text("Sent to 1 device")
    body = the_push(standin)
    target = body["data"]["targetUrl"]
    assert body["include_subscription_ids"] == [PLAYER]
    assert target.startswith(base + "/notifications?opened=")
    # what the Android app does on a tap: load targetUrl in its web view
    page.goto(target)
    expect(page.get_by_text("You opened “Hello over the bridge” (push #1)")).to_be_visible()
    assert page.url == base + "/notifications"
    [(how, agent)] = opens(live_app)
    assert how == "url" and agent.endswith("gonative")
    # in the foreground the app also calls the listener's global
    page.evaluate(f"_median_onesignal_push_opened({json.dumps(body['data'])})")
    expect(page.get_by_text("the app's pushOpened listener told this page")).to_be_visible()
    assert [how for how, _ in opens(live_app)] == ["url+listener"]  # one tap, one open
    page.reload()
    row = page.locator("#push-1")
    expect(row).to_contain_text(
        "handed to Apple/Google: 1 · unsubscribed: 0 · errors: 0 · tapped: 0"
    )
    expect(row).to_contain_text("Opened 1 time")
    expect(row).to_contain_text("its link and the listener (one tap)")
    assert page.errors == []


def test_listener_takes_the_whole_notification_ignores_forgeries(
    app_phone, live_server, live_app, standin, user
):
    page, base = app_phone, live_server.url
    login(page, base)
    send_to_me(page, base, "Whole")
    data = the_push(standin)["data"]
    page.goto(base + "/onesignal")
    forged = {"targetUrl": base + "/notifications?opened=forged-token"}
    page.evaluate(f"_median_onesignal_push_opened({json.dumps(forged)})")
    # the app may pass the whole notification: its additionalData has targetUrl
    whole = {"title": "Whole", "body": "...", "additionalData": data}
    page.evaluate(f"_median_onesignal_push_opened({json.dumps(whole)})")
    expect(page.locator("#v-opened")).to_have_class("v-row v-ok")
    expect(page.get_by_text("You opened “Whole” (push #1)")).to_have_count(1)
    assert opens(live_app) and [how for how, _ in opens(live_app)] == ["listener"]
    open_fold(page, "log-card")
    expect(page.locator("#bridge-log")).to_contain_text("pushOpened listener")


def test_app_that_never_answers_info_is_said_in_the_summary(browser, live_server, user):
    require_median_js()
    context = browser.new_context(viewport={"width": 360, "height": 740}, user_agent=APP_UA)
    context.add_init_script(script="\n".join([FAKE_NATIVE % "{}", MEDIAN_JS.read_text(), LINK_LIB]))
    page = context.new_page()
    login(page, live_server.url)
    expect(page.locator("#v-info")).to_contain_text("the app never answered onesignal.info()",
                                                    timeout=10_000)  # fmt: skip
    expect(page.locator("#v-info")).to_have_class("v-row v-bad")
    first_screen(page, live_server.url, "onesignal-no-answer-360x740")
    context.close()


def test_profile_and_onesignal_page_show_what_onesignal_links(
    browser, live_server, live_app, standin, user
):
    from ..standin import subscription
    from ..standin import user as onesignal_user

    base = live_server.url
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    login(page, base)
    page.locator("#v-info").get_by_role("button", name="Simulate the app").click()
    expect(page.locator("#v-link")).to_have_class("v-row v-ok")
    device = page.evaluate("JSON.parse(localStorage['pushlab.simulator.state']).subscriptionId")
    standin.users[user] = onesignal_user(
        user,
        subscription(device),
        subscription("0f0f0f0f-0000-4000-8000-00000000dead", "AndroidPush", enabled=False,
                     notification_types=-2, model="Pixel 6"),
    )  # fmt: skip
    page.goto(base + "/profile")
    panel = page.locator("#onesignal-user")
    expect(panel).to_contain_text(f"OneSignal links 2 push subscriptions to external id {user}")
    expect(panel.locator(".os-sub").filter(has_text=device[-6:])).to_contain_text("this device")
    expect(panel.locator(".os-sub").filter(has_text="00dead")).to_contain_text("unsubscribed")
    panel.scroll_into_view_if_needed()
    screenshot(page, "profile-onesignal-user-360x740", full_page=False)
    page.goto(base + "/onesignal")
    expect(page.locator("#os-user")).to_contain_text("this device")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "onesignal-1280x800", full_page=False)
    page.goto(base + "/profile")
    expect(panel).to_contain_text("this device")
    screenshot(page, "profile-1280x800")
    del standin.users[user]
    page.reload()
    expect(panel).to_contain_text(
        f"OneSignal has no user with external id {user}: the app has not set it yet"
    )
    context.close()
