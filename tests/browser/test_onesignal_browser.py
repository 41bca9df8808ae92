"""The OneSignal page in real Chromium: with the site's simulator, and with the
app family's real bridge library (npm `median-js-bridge`) over a fake native
transport that answers like the Android app does."""

import json

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot
from .helpers import (
    FAKE_NATIVE,
    LEGACY_INFO,
    LINK_LIB,
    MEDIAN_JS,
    PLAYER,
    V5_INFO,
    open_fold,
    require_median_js,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def user(live_app):
    from demo_app.accounts import create_user

    with live_app.app_context():
        return create_user("dev@example.com", PASSWORD).external_id


@pytest.fixture
def phone(browser, live_server):
    """A 360 px wide context whose user agent carries the app's suffix."""
    contexts = []

    def make(answers=None, suffix=" gonative", bridge=True):
        context = browser.new_context(
            viewport={"width": 360, "height": 780},
            user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile"
            + suffix,
        )
        if bridge:
            require_median_js()
            # One script: the order of several init scripts is not defined.
            script = "\n".join(
                [FAKE_NATIVE % json.dumps(answers or {}), MEDIAN_JS.read_text(), LINK_LIB]
            )
            context.add_init_script(script=script)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page, base, email="dev@example.com"):
    page.goto(f"{base}/login?next=/onesignal")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/onesignal")


def facts(page, selector="#info-facts"):
    return page.locator(selector).inner_text()


def test_legacy_app_callback_links_device(phone, live_server, user):
    answers = {"median://onesignal/externalUserId/set": {"success": True},
               "median://onesignal/externalUserId/remove": {"success": True}}  # fmt: skip
    page = phone(answers)
    login(page, live_server.url)
    # The legacy app calls the page's hook after the page has loaded.
    page.evaluate(f"gonative_onesignal_info({json.dumps(LEGACY_INFO)})")
    assert PLAYER in facts(page)
    assert "legacy plugin" in facts(page)
    assert "gonative_onesignal_info (legacy callback)" in page.locator("#st-style").text_content()
    assert "yes" in page.locator("#st-in-app").text_content()
    page.get_by_text("Linked: device").wait_for()
    assert (
        "oneSignalregistrationId" in page.locator("#info-raw").text_content()
    )  # unknown keys kept
    screenshot(page, "onesignal-legacy-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("button", name="Set my external id").click()
    page.get_by_text("Recorded: your profile shows it.").wait_for()
    result = page.locator("#ext-result").inner_text()
    assert "externalUserId.set" in result and f"external id is now {user}" in result
    calls = page.evaluate("window.__nativeCalls")
    set_calls = [c for c in calls if c["medianCommand"].endswith("externalUserId/set")]
    assert set_calls and set_calls[0]["data"]["externalId"] == user

    page.get_by_role("button", name="Remove it").click()
    page.get_by_text("success: the external id was removed").wait_for()
    page.goto(live_server.url + "/devices")
    device = page.locator(f'li.device[data-subscription-id="{PLAYER}"]')
    assert "Pixel 8" in device.inner_text() and "page" in device.locator(".learnt").inner_text()
    assert "removed" in device.inner_text()
    screenshot(page, "my-devices-360")
    assert page.errors == []


def test_v5_app_promise_info_and_login(phone, live_server, user):
    answers = {"median://onesignal/info": V5_INFO,
               "median://onesignal/login": {"success": True},
               "median://onesignal/logout": {"success": True}}  # fmt: skip
    page = phone(answers, suffix=" median")
    login(page, live_server.url)
    page.get_by_text("Linked: device").wait_for()
    assert "OneSignal v5 plugin" in facts(page)
    assert "promise info()" in page.locator("#st-style").text_content()
    page.get_by_role("button", name="Set my external id").click()
    page.get_by_text("Recorded: your profile shows it.").wait_for()
    assert f'onesignal.login("{user}")' in page.locator("#ext-result").inner_text()
    page.get_by_role("button", name="Remove it").click()
    page.get_by_text("success: the external id was removed").wait_for()
    commands = [c["medianCommand"] for c in page.evaluate("window.__nativeCalls")]
    assert "median://onesignal/login" in commands and "median://onesignal/logout" in commands
    assert not any("externalUserId" in c for c in commands)
    screenshot(page, "onesignal-v5-360")
    page.goto(live_server.url + "/profile")
    assert "removed" in page.locator("body").inner_text()


def test_forced_method_and_error_result_shown(phone, live_server, user):
    refused = {"success": False, "error": "OneSignal is not initialized"}
    answers = {"median://onesignal/info": V5_INFO, "median://onesignal/externalUserId/set": refused}
    page = phone(answers)
    login(page, live_server.url)
    page.get_by_text("Linked: device").wait_for()
    page.get_by_label("Call").select_option("legacy")
    page.get_by_role("button", name="Set my external id").click()
    page.get_by_text("failed: OneSignal is not initialized").wait_for()
    page.get_by_text("Recorded: your profile shows it.").wait_for()
    screenshot(page, "onesignal-error-360")
    page.goto(live_server.url + "/profile")
    assert "failed: OneSignal is not initialized" in page.locator("body").inner_text()


def test_login_rejection_from_promise_is_shown(phone, live_server, user):
    answers = {"median://onesignal/info": V5_INFO,
               "median://onesignal/login": {"error": "login failed: network"}}  # fmt: skip
    page = phone(answers)
    login(page, live_server.url)
    expect(page.get_by_text("Linked: device")).to_be_visible()
    page.get_by_role("button", name="Set my external id").click()
    # the app's own error is shown to the developer, not a generic failure
    expect(page.get_by_text("failed: login failed: network")).to_be_visible()
    assert page.errors == []


def test_declined_permission_has_no_player_id(phone, live_server, user):
    declined = {
        k: v for k, v in LEGACY_INFO.items() if k not in ("oneSignalUserId", "oneSignalPushToken")
    }
    declined.update(platform="ios", oneSignalSubscribed=False, os="iOS")
    page = phone({})
    login(page, live_server.url)
    page.evaluate(f"gonative_onesignal_info({json.dumps(declined)})")
    problems = page.locator("#info-problems").inner_text()
    assert "No subscription (player) id yet" in problems
    assert "Not subscribed" in problems
    assert "Not sent" in page.locator("#link-result").inner_text()
    screenshot(page, "onesignal-declined-360")


def test_tags_consent_and_log(phone, live_server, user):
    answers = {"median://onesignal/info": V5_INFO,
               "median://onesignal/tags/get": {"success": True, "tags": {"plan": "gold"}},
               "median://onesignal/register": {"isSubscribed": True}}  # fmt: skip
    page = phone(answers)
    login(page, live_server.url)
    page.get_by_role("button", name="Get tags").click()
    page.get_by_text('"plan": "gold"').wait_for()
    page.get_by_role("button", name="Grant consent").click()
    page.get_by_role("button", name="Ask for permission (register)").click()
    page.get_by_text('"isSubscribed": true').wait_for()
    log = page.locator("#bridge-log").text_content()
    assert "median.onesignal.tags.getTags()" in log and "userPrivacyConsent.grant()" in log
    commands = [c["medianCommand"] for c in page.evaluate("window.__nativeCalls")]
    assert "median://onesignal/userPrivacyConsent/grant" in commands


def test_outside_the_app_explains_and_offers_simulator(phone, live_server, user):
    page = phone(bridge=False, suffix="")
    page.goto(live_server.url + "/onesignal")
    assert page.locator("#st-in-app").text_content() == "no"
    # the verdict says so first, with its next action
    expect(page.locator("#v-info")).to_contain_text("no: this browser is not the app")
    expect(page.locator("#v-info").get_by_role("button", name="Simulate the app")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_hidden()  # folded below the summary
    open_fold(page, "qr-details")
    expect(page.locator(".qr svg")).to_be_visible()
    # the live server's SITE_URL is 127.0.0.1: a phone cannot open that
    expect(page.locator("#qr-local")).to_contain_text("a phone cannot open localhost or 127.0.0.1")
    screenshot(page, "onesignal-not-in-app-360")


@pytest.mark.parametrize(
    ("variant", "platform", "state"),
    [
        ("legacy", "ios", "subscribed"),
        ("v5", "android", "subscribed"),
        ("legacy", "ios", "declined"),
    ],
)
def test_simulator_runs_the_whole_demo(phone, live_server, user, variant, platform, state):
    page = phone(bridge=False, suffix="")
    login(page, live_server.url)
    open_fold(page, "sim-details")
    page.get_by_label("Plugin").select_option(variant)
    page.get_by_label("Platform").select_option(platform)
    page.get_by_label("Permission").select_option(state)
    page.get_by_role("button", name="Simulate with these settings").click()
    page.wait_for_load_state("load")
    expect(page.locator("#simulated-banner")).to_be_visible()
    assert "simulated" in page.locator("#st-in-app").text_content()
    assert "not inside the app" not in page.locator("#verdict").inner_text()
    page.get_by_text("Linked: device").wait_for()
    if state == "declined":
        # GoNative's code passes on the ids OneSignal has whatever the
        # permission; OneSignal itself says "not subscribed"
        assert "Not subscribed, OneSignal says" in page.locator("#info-problems").inner_text()
        page.goto(live_server.url + "/devices")
        assert "not subscribed" in page.locator("li.device").first.inner_text()
        return
    device_id = page.evaluate("JSON.parse(localStorage['pushlab.simulator.state']).subscriptionId")
    page.get_by_role("button", name="Set my external id").click()
    page.get_by_text("Recorded: your profile shows it.").wait_for()
    expected = "login(" if variant == "v5" else "externalUserId.set"
    assert expected in page.locator("#ext-result").inner_text()
    if variant == "v5":  # the info is asked again: a v5 app now reports the external id
        expect(page.locator("#info-facts")).to_contain_text(f"External id{user}")
    expect(page.locator("#v-external")).to_have_class("v-row v-ok")
    screenshot(page, f"simulator-{variant}-{platform}-360")
    # The banner stays on every page; the fake device id is stable per browser.
    page.goto(live_server.url + "/devices")
    expect(page.locator("#simulated-banner")).to_be_visible()
    assert device_id in page.locator("li.device").first.inner_text()
    page.goto(live_server.url + "/onesignal")
    page.get_by_text("Linked: device").wait_for()
    assert device_id in facts(page)


def simulate(page, base, variant, platform, state="subscribed"):
    login(page, base)
    open_fold(page, "sim-details")
    page.get_by_label("Plugin").select_option(variant)
    page.get_by_label("Platform").select_option(platform)
    page.get_by_label("Permission").select_option(state)
    page.get_by_role("button", name="Simulate with these settings").click()
    page.wait_for_load_state("load")
    page.get_by_text("Linked: device").wait_for()


def raw_fields(page) -> dict:
    keys = page.locator("#info-raw dt").all_text_contents()
    values = page.locator("#info-raw dd").all_text_contents()
    return dict(zip(keys, values, strict=True))


def test_simulated_android_sends_what_the_android_app_sends(phone, live_server, user):
    page = phone(bridge=False, suffix="")
    simulate(page, live_server.url, "legacy", "android")
    fields = raw_fields(page)
    assert fields["model"] == "Google Pixel 8" and fields["deviceName"] == "Google Pixel 8"
    assert fields["hardware"].startswith("google/shiba/shiba:14/")
    assert fields["oneSignalPushToken"] == fields["oneSignalRegistrationId"]
    assert ":APA91b" in fields["oneSignalPushToken"]
    # true until the page grants consent, as !userProvidedPrivacyConsent() is
    assert fields["oneSignalRequiresUserPrivacyConsent"] == "true"
    assert page.locator("#info-problems li").count() == 0  # no false consent alarm
    assert "not recorded by the page" in facts(page)
    page.get_by_role("button", name="Grant consent").click()
    page.get_by_role("button", name="Ask again (onesignal.info())").click()
    expect(page.locator("#info-facts")).to_contain_text("Privacy consentgiven")
    assert raw_fields(page)["oneSignalRequiresUserPrivacyConsent"] == "false"
    assert page.errors == []


def test_simulated_iphone_and_the_bridge_answer_forms(phone, live_server, user):
    page = phone(bridge=False, suffix="")
    simulate(page, live_server.url, "legacy", "ios")
    fields = raw_fields(page)
    assert (fields["model"], fields["hardware"], fields["deviceName"]) == (
        "iPhone",
        "iPhone14,2",
        "iPhone",
    )
    assert fields["installationId"] == fields["installationId"].upper()
    assert fields["oneSignalRequiresUserPrivacyConsent"] == "false"
    # with {callback} the bridge library calls it and returns undefined
    returned = page.evaluate(
        "() => typeof median.onesignal.info({callback: (info) => { window.__viaCallback = info; }})"
    )
    assert returned == "undefined"
    page.wait_for_function("() => window.__viaCallback && window.__viaCallback.oneSignalUserId")
    assert page.evaluate("() => median.onesignal.info() instanceof Promise")


def test_simulated_v5_app_calls_no_hook_by_itself(phone, live_server, user):
    page = phone(bridge=False, suffix="")
    simulate(page, live_server.url, "v5", "ios", "declined")
    log = page.locator("#bridge-log").text_content()
    assert "median.onesignal.info()" in log and "median_onesignal_info" not in log
    assert "promise info()" in page.locator("#st-style").text_content()
    fields = raw_fields(page)
    subscription = json.loads(fields["subscription"])
    assert subscription["optedIn"] is False and subscription["token"]


def test_laptop_demo_without_onesignal_shows_the_push(phone, live_server, user):
    """The salesperson's laptop: OneSignal is not configured, the simulated
    phone still shows the push, and tapping it opens and greets the page."""
    page = phone(bridge=False, suffix="")
    login(page, live_server.url)
    page.locator("#v-info").get_by_role("button", name="Simulate the app").click()
    expect(page.locator("#v-link")).to_have_class("v-row v-ok")
    page.goto(live_server.url + "/send-to-me")
    page.get_by_role("button", name="Send a push to me").click()
    headline = "Arrived on your simulated phone"
    expect(page.locator(".result-headline")).to_have_text(headline)
    expect(page.locator("details.setup")).not_to_have_attribute("open", "")
    note = page.locator(".sim-note")
    expect(note).to_contain_text("Hello from Push Lab")
    note.evaluate("el => Promise.all(el.getAnimations().map((a) => a.finished))")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "laptop-demo-not-configured-360x740", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "laptop-demo-not-configured-1280x800", full_page=False)
    note.get_by_role("button", name="Tap to open").click()
    expect(page.get_by_text("You opened “Hello from Push Lab” (push #1)")).to_be_visible()
    page.goto(live_server.url + "/onesignal")
    expect(page.locator("#v-opened")).to_have_class("v-row v-ok")
    screenshot(page, "laptop-demo-onesignal-1280x800", full_page=False)
    assert page.errors == []


def test_simulated_notifications_stack_clear_of_the_tabs(phone, live_server, user):
    """Stacked simulated notifications never cover the site's header and
    tabs, and "Clear all" empties the stack."""
    page = phone(bridge=False, suffix="")
    login(page, live_server.url)
    page.locator("#v-info").get_by_role("button", name="Simulate the app").click()
    expect(page.locator("#v-link")).to_have_class("v-row v-ok")
    page.goto(live_server.url + "/send-to-me")
    for _ in range(2):
        page.get_by_role("button", name="Send a push to me").click()
        expect(page.locator(".result-headline")).to_have_text("Arrived on your simulated phone")
    notes = page.locator(".sim-note")
    expect(notes).to_have_count(2)
    tray = page.locator("#sim-notifications").bounding_box()
    tabs = page.locator("nav.tabs").bounding_box()
    assert tray["y"] >= tabs["y"] + tabs["height"], (tray, tabs)
    page.get_by_role("button", name="Clear all").click()
    expect(notes).to_have_count(0)


def test_the_simulated_banner_takes_two_lines_at_most(phone, live_server, user):
    page = phone(bridge=False, suffix="")
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, live_server.url)
    page.locator("#v-info").get_by_role("button", name="Simulate the app").click()
    banner = page.locator("#simulated-banner")
    expect(banner).to_be_visible()
    lines = page.evaluate(
        """() => { const b = document.getElementById("simulated-banner");
                   const s = getComputedStyle(b);
                   const pad = parseFloat(s.paddingTop) + parseFloat(s.paddingBottom);
                   const text = b.clientHeight - pad;
                   return Math.round(text / parseFloat(s.lineHeight)); }"""
    )
    assert lines <= 2, lines


def test_no_bridge_in_the_app_is_advised_as_the_bridge(phone, live_server, user):
    """Inside the app with no bridge library on the page, the advice is about
    the app's JavaScript bridge, not the OneSignal plugin."""
    page = phone(bridge=False)  # the app's user agent, no bridge injected
    login(page, live_server.url)
    row = page.locator("#v-info")
    expect(row).to_have_class("v-row v-bad")
    expect(row).to_contain_text("bridge library is missing")
    expect(row).to_contain_text("injects its JavaScript bridge")
    expect(row).not_to_contain_text("OneSignal plugin")
