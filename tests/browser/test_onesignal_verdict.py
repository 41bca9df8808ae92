"""The OneSignal page's verdict tells the truth about the device in hand:
whether it can receive pushes, whether its registration POST arrived (and
with the viewer's login), and the last push opened on this very device."""

import json
import re

import pytest
from playwright.sync_api import expect

from .helpers import (
    FAKE_NATIVE,
    LEGACY_INFO,
    LINK_LIB,
    MEDIAN_JS,
    PLAYER,
    V5_INFO,
    first_screen,
)
from .test_onesignal_browser import login, phone, user  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def row(page, name):
    return page.locator(f"#v-{name}")


def give_info(page, info):
    page.evaluate(f"gonative_onesignal_info({json.dumps(info)})")


def test_ios_declined_cannot_receive(phone, live_server, user):  # noqa: F811
    declined = {**LEGACY_INFO, "platform": "ios", "os": "iOS", "oneSignalSubscribed": False}
    page = phone({})
    login(page, live_server.url)
    give_info(page, declined)
    expect(row(page, "receive")).to_have_class("v-row v-bad")
    expect(row(page, "receive").locator(".v-value")).to_have_text(
        "Notifications are off for this app: Settings › Notifications › io.example.app"
    )
    first_screen(page, live_server.url, "verdict-ios-declined-360x740")


def test_android_disabled_cannot_receive(phone, live_server, user):  # noqa: F811
    info = {**V5_INFO, "subscription": {"id": PLAYER, "optedIn": False, "token": "fcm-token"}}
    page = phone({"median://onesignal/info": info}, suffix=" median")
    login(page, live_server.url)
    expect(row(page, "receive")).to_have_class("v-row v-bad")
    expect(row(page, "receive")).to_contain_text("turned off in Android settings")
    first_screen(page, live_server.url, "verdict-android-disabled-360x740")


def test_no_token_cannot_receive(phone, live_server, user):  # noqa: F811
    info = {
        k: v
        for k, v in LEGACY_INFO.items()
        if k not in ("oneSignalPushToken", "oneSignalregistrationId")
    }
    page = phone({})
    login(page, live_server.url)
    give_info(page, info)
    expect(row(page, "receive")).to_have_class("v-row v-bad")
    expect(row(page, "receive").locator(".v-value")).to_have_text("No push token yet")
    first_screen(page, live_server.url, "verdict-no-token-360x740")


def test_consent_withheld_cannot_receive(phone, live_server, user):  # noqa: F811
    info = {**V5_INFO, "requiresUserPrivacyConsent": True, "userConsentGiven": False}
    page = phone({"median://onesignal/info": info}, suffix=" median")
    login(page, live_server.url)
    expect(row(page, "receive")).to_have_class("v-row v-bad")
    expect(row(page, "receive").locator(".v-value")).to_have_text(
        "Consent required and not given: call userPrivacyConsent.grant()"
    )
    expect(row(page, "receive").get_by_role("button", name="Grant consent")).to_be_visible()
    first_screen(page, live_server.url, "verdict-consent-withheld-360x740")


def test_unknown_subscription_is_never_green(phone, live_server, user):  # noqa: F811
    info = {k: v for k, v in LEGACY_INFO.items() if k != "oneSignalSubscribed"}
    page = phone({})
    login(page, live_server.url)
    give_info(page, info)
    expect(row(page, "receive")).to_have_class("v-row v-unknown")
    expect(row(page, "receive").locator(".v-mark")).to_have_text("?")


def add_capture(live_app, email, with_login):
    """A registration POST from PLAYER: with the user's login, or without it
    (to the user's own endpoint, so they may see it)."""
    from demo_app.accounts import find_by_email
    from demo_app.endpoints import service
    from demo_app.extensions import db
    from demo_app.models import Capture, Device

    with live_app.app_context():
        owner = find_by_email(email)
        device = db.session.query(Device).filter_by(subscription_id=PLAYER).one_or_none()
        if device is None:
            device = Device(subscription_id=PLAYER)
            db.session.add(device)
            db.session.flush()
        endpoint = None if with_login else service.create(owner, "App")
        db.session.add(
            Capture(
                method="POST", path="/register", parsed=LEGACY_INFO, device_id=device.id,
                user_id=owner.id if with_login else None,
                endpoint_id=endpoint.id if endpoint else None,
            )
        )  # fmt: skip
        db.session.commit()


def test_registration_post_never(phone, live_server, user):  # noqa: F811
    page = phone({})
    login(page, live_server.url)
    give_info(page, LEGACY_INFO)
    expect(row(page, "receive")).to_have_class("v-row v-ok")
    post = row(page, "post")
    expect(post).to_have_class("v-row v-bad")
    expect(post.locator(".v-value")).to_have_text("none yet")
    expect(post).to_contain_text(live_server.url + "/register")
    expect(post).to_contain_text("URL pattern .*")
    expect(post.get_by_role("button", name="Copy URL")).to_be_visible()
    first_screen(page, live_server.url, "verdict-post-never-360x740")


def test_registration_post_without_login(phone, live_server, live_app, user):  # noqa: F811
    add_capture(live_app, "dev@example.com", with_login=False)
    page = phone({})
    login(page, live_server.url)
    give_info(page, LEGACY_INFO)
    post = row(page, "post")
    expect(post).to_have_class("v-row v-warn")
    expect(post.locator(".v-value")).to_contain_text("but without your login cookies")
    expect(post).to_contain_text("another domain")
    first_screen(page, live_server.url, "verdict-post-anonymous-360x740")


def test_registration_post_with_login(phone, live_server, live_app, user):  # noqa: F811
    add_capture(live_app, "dev@example.com", with_login=True)
    page = phone({})
    login(page, live_server.url)
    give_info(page, LEGACY_INFO)
    post = row(page, "post")
    expect(post).to_have_class("v-row v-ok")
    expect(post.locator(".v-value")).to_have_text(re.compile(r"arrived \d+ s ago, with your login"))
    expect(row(page, "opened").locator(".v-value")).to_have_text("none yet on this device")
    first_screen(page, live_server.url, "verdict-post-with-login-360x740")


OLD_LIB = """
delete Median.onesignal.info;
Median.onesignal.onesignalInfo = function () {
  window.JSBridge.postMessage(JSON.stringify(
    { medianCommand: "median://onesignal/info", data: { callback: "median_onesignal_info" } }));
};
window.median = window.gonative = Median;
"""


def test_old_library_with_only_onesignal_info(browser, live_server, user):  # noqa: F811
    from .helpers import require_median_js

    require_median_js()
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile gonative",
    )
    answers = {"median://onesignal/info": LEGACY_INFO,
               "median://onesignal/externalUserId/set": {"success": True}}  # fmt: skip
    script = "\n".join([FAKE_NATIVE % json.dumps(answers), MEDIAN_JS.read_text(), OLD_LIB])
    context.add_init_script(script=script)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        login(page, live_server.url)
        expect(row(page, "info")).to_have_class("v-row v-ok")
        expect(page.locator("#st-style")).to_contain_text("median_onesignal_info")
        expect(row(page, "link")).to_have_class("v-row v-ok")
        asked = lambda: sum(  # noqa: E731
            c["medianCommand"] == "median://onesignal/info"
            for c in page.evaluate("window.__nativeCalls")
        )
        before = asked()
        page.get_by_role("button", name="Ask again (onesignal.info())").click()
        expect(page.locator("#bridge-log")).to_contain_text("onesignal.onesignalInfo()")
        assert asked() == before + 1
        # setting the external id asks again the same way
        page.get_by_role("button", name="Set my external id").click()
        page.get_by_text("Recorded: your profile shows it.").wait_for()
        page.wait_for_function(
            "n => window.__nativeCalls"
            ".filter(c => c.medianCommand === 'median://onesignal/info').length > n",
            arg=before + 1,
        )
        first_screen(page, live_server.url, "verdict-old-library-360x740")
        assert errors == []
    finally:
        context.close()


def test_an_app_that_never_answers_set_is_not_called_failed(browser, live_server, user):  # noqa: F811
    """Older app versions carry externalUserId.set() out and never answer:
    the page says it was sent and unconfirmed, and asks the app's info again."""
    from .helpers import require_median_js

    require_median_js()
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile gonative",
    )
    answers = {"median://onesignal/info": LEGACY_INFO}  # nothing for externalUserId/set
    script = "\n".join([FAKE_NATIVE % json.dumps(answers), MEDIAN_JS.read_text(), LINK_LIB])
    context.add_init_script(script=script)
    page = context.new_page()
    try:
        login(page, live_server.url)
        expect(row(page, "link")).to_have_class("v-row v-ok")
        page.locator("#ext-method").select_option("legacy")
        page.get_by_role("button", name="Set my external id").click()
        result = page.locator("#ext-result")
        # the bridge's own wait for an answer runs out first (5 s)
        expect(result).to_contain_text("this app version does not confirm", timeout=15_000)
        expect(result).not_to_contain_text("failed")
    finally:
        context.close()
