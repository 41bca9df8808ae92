"""Every page of the site, as a visitor and as a user with data, at phone width:
it loads, nothing is wider than the screen, no script error or CSP complaint,
nothing is fetched from outside."""

import re

import pytest
import requests
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot
from .helpers import login, send_message

pytestmark = pytest.mark.browser

ANONYMOUS = ["/", "/login", "/signup", "/receiver", "/onesignal", "/no-such-page"]
LOGGED_IN = [
    "/", "/onesignal", "/devices", "/send-to-me", "/notifications", "/messages",
    "/messages/1", "/orders", "/inspector", "/inspector/1", "/inspector/compare?a=1&b=2",
    "/profile", "/receiver", "/endpoints", "/endpoints/1",
]  # fmt: skip


def _visit(page, url: str, name: str, console: list) -> None:
    response = page.goto(url)
    expected = 404 if "no-such-page" in url else 200
    assert response.status == expected, url
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{url} is {width} px wide"
    screenshot(page, f"page-{name}-360")
    assert page.errors == [], url
    if expected == 404:  # Chromium reports the page's own status in the console
        console[:] = [m for m in console if "status of 404" not in m]
    assert console == [], url
    assert page.external_requests == [], url
    # what is marked hidden is not shown (a display rule must not override it)
    shown_hidden = page.evaluate(
        """() => [...document.querySelectorAll("[hidden]")]
                 .filter(e => getComputedStyle(e).display !== "none")
                 .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert shown_hidden == [], url
    assert page.locator('[autocomplete="None"]').count() == 0, url
    headings = page.evaluate(
        "() => [...document.querySelectorAll('main h1, main h2')].map(h => h.tagName)"
    )
    assert not headings or headings[0] == "H1", f"{url}: {headings}"


def test_every_page_at_phone_width(page, live_server, live_app):
    from demo_app.accounts import create_user

    with live_app.app_context():
        create_user("alice@example.com", PASSWORD)
        create_user("bob@example.com", PASSWORD)
    base = live_server.url
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

    for path in ANONYMOUS:
        _visit(page, base + path, "anon-" + (path.strip("/").replace("/", "-") or "home"), console)

    # Bob writes to alice; alice's app registers a device; alice sends a push
    # and orders something: every page below then has something to show.
    login(page, base, "bob@example.com")
    send_message(page, base, "alice@example.com", "Your parcel is at the door <b>now</b>")
    expect(page.get_by_text("Message sent")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    login(page, base, "alice@example.com")
    expect(page.locator(".who .me")).to_have_text("alice@example.com")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    requests.post(
        base + "/register/every-page",
        json={"platform": "android", "oneSignalUserId": "1a2b3c4d-0000-4000-8000-00000000abcd",
              "oneSignalSubscribed": True, "model": "Pixel 8"},
        cookies={"session": cookie["value"]},
        timeout=10,
    )  # fmt: skip
    requests.post(
        base + "/register/every-page",
        json={"platform": "android", "oneSignalUserId": "1a2b3c4d-0000-4000-8000-00000000abcd",
              "oneSignalSubscribed": False, "model": "Pixel 8", "appVersion": "2.0.0-rc.1",
              "customData_plan": "a-very-long-custom-value-" * 4},
        cookies={"session": cookie["value"]},
        timeout=10,
    )  # fmt: skip
    page.goto(base + "/send-to-me")
    page.get_by_role("button", name="Send the push").click()
    expect(page.locator(".result")).to_be_visible()
    # the send result comes under the page's h1, not before it
    order = page.evaluate(
        "() => [...document.querySelectorAll('main h1, main h2')].map(h => h.tagName)"
    )
    assert order[0] == "H1", order
    page.goto(base + "/orders")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_text("is on its way")).to_be_visible()

    page.goto(base + "/endpoints")
    page.get_by_label("Name").fill("Alice's Pixel, build 42")
    page.get_by_role("button", name="Create an endpoint").click()
    expect(page.get_by_role("heading", name="Alice's Pixel, build 42")).to_be_visible()

    for path in LOGGED_IN:
        name = re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "home"
        _visit(page, base + path, "user-" + name, console)
    assert "Pixel 8" in page.goto(base + "/devices").text()
