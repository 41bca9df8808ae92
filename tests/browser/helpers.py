"""Steps a person takes in the browser and checks, shared by the browser tests,
and the fake native side of the app (the Android transport of median-js-bridge)."""

import os
from pathlib import Path

import pytest

from ..conftest import PASSWORD


def login(page, base, email, password=PASSWORD):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def send_message(page, base: str, to: str, body: str) -> None:
    """Write to another user through the messages form, as a person would."""
    page.goto(base + "/messages")
    page.get_by_label("To", exact=True).fill(to)
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Send message").click()


def open_fold(page, fold_id: str) -> None:
    """Open one of the OneSignal page's folded sections (<details>)."""
    fold = page.locator(f"#{fold_id}")
    if fold.get_attribute("open") is None:
        fold.locator("summary").first.click()


ROOT = Path(__file__).resolve().parents[2]
MEDIAN_JS = ROOT / "node_modules" / "median-js-bridge" / "dist" / "median.min.js"
PLAYER = "6392d91a-b206-4b7b-a620-cd68e32c3a76"
LEGACY_INFO = {
    "oneSignalUserId": PLAYER, "oneSignalPushToken": "7f9e0c", "oneSignalSubscribed": True,
    "oneSignalRequiresUserPrivacyConsent": False, "platform": "android", "appId": "io.example.app",
    "appVersion": "3.1.0", "appVersionCode": 31, "distribution": "playstore", "hardware": "shiba",
    "installationId": "a1b2", "language": "en", "model": "Pixel 8", "os": "Android",
    "osVersion": "14", "timeZone": "Europe/Berlin", "deviceName": "Pixel 8", "isFirstLaunch": False,
    "oneSignalregistrationId": "legacy-extra-key",
}  # fmt: skip
V5_INFO = {
    "appId": "io.example.app", "appVersion": "4.0.0", "appVersionCode": 40,
    "distribution": "playstore", "deviceName": "Pixel 8", "externalId": None,
    "hardware": "shiba", "installationId": "a1b2",
    "isFirstLaunch": False, "language": "en", "legacy": False, "model": "Pixel 8",
    "oneSignalId": "0c1d2e3f-1111-4222-8333-444455556666", "os": "Android", "osVersion": "14",
    "platform": "android", "publicKey": "", "requiresUserPrivacyConsent": False,
    "subscription": {"id": PLAYER, "optedIn": True, "token": "fcm-token"},
    "timeZone": "Europe/Berlin", "userConsentGiven": True,
}  # fmt: skip
FAKE_NATIVE = """
(() => {
  const answers = %s;
  window.__nativeCalls = [];
  // The Android app's transport: commands arrive as JSON strings; the app
  // answers by calling the named callback on the page.
  window.JSBridge = { postMessage(message) {
    const msg = message.startsWith("{") ? JSON.parse(message) : { medianCommand: message };
    window.__nativeCalls.push(msg);
    const data = msg.data || {};
    if (!(msg.medianCommand in answers) || !data.callback) return;
    setTimeout(() => window[data.callback](answers[msg.medianCommand]), 30);
  } };
})();
"""
LINK_LIB = "window.median = window.gonative = Median;"


def require_median_js():
    if not MEDIAN_JS.exists():
        message = "median-js-bridge not installed (make test installs it from npm)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def first_screen(page, base: str, name: str) -> None:
    """A 360x740 screenshot of the page as it first shows (no scrolling), and
    the check that the OneSignal page's verdict fits in it."""
    from .conftest import screenshot

    page.set_viewport_size({"width": 360, "height": 740})
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name, full_page=False)
    box = page.locator("#verdict").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740, f"verdict ends at {box}"


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA
    rules and axe's best practices): id, help and the targets of each."""
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE} (make test installs it with npm)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (REQUIRE_BROWSER=1)")
        pytest.skip(message)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # add_script_tag(path=...) would inline the file, which the site's CSP
        # (script-src 'self') refuses: serve it from the page's own origin.
        if not getattr(page, "axe_routed", False):
            page.route("**/__axe-core/axe.min.js", lambda route: route.fulfill(path=str(AXE)))
            page.axe_routed = True
        origin = page.evaluate("() => location.origin")
        page.add_script_tag(url=origin + "/__axe-core/axe.min.js")
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }"""
    )


def assert_accessible(page, where: str = "") -> None:
    """No axe-core violation on the page; a failure lists each one."""
    violations = axe_violations(page)
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}\n")
        lines += [f"    at {target}\n" for target in v["targets"]]
    assert not violations, f"axe-core on {where or page.url}:\n" + "".join(lines)


def check_both_schemes(page, name: str, full_page: bool = True) -> None:
    """What every page state must pass, light and dark: nothing wider than the
    screen, axe clean, no script error, nothing fetched from outside; a
    screenshot of each."""
    from .conftest import screenshot, settled

    settled(page)
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page, f"{page.url} ({scheme}, {width} px)")
        screenshot(page, f"{name}-{width}-{scheme}", full_page=full_page)
    page.emulate_media(color_scheme="light")
    assert page.errors == [] and page.external_requests == []
