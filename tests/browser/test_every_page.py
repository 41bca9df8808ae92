"""Every page of the site in every state a person meets it in (visitor, user
with data, simulated app, send results, error pages, forms with errors), at
phone and desktop width, light and dark: it loads, nothing is wider than the
screen, no script error or CSP complaint, nothing is fetched from outside,
and axe-core finds no accessibility violation."""

import re

import pytest
import requests
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot, settled, track_requests
from .helpers import assert_accessible, login, open_fold, send_message

pytestmark = pytest.mark.browser

ANONYMOUS = ["/", "/login", "/signup", "/endpoints", "/onesignal", "/no-such-page"]
LOGGED_IN = [
    "/", "/onesignal", "/devices", "/send-to-me", "/notifications", "/messages",
    "/messages/1", "/orders", "/inspector", "/inspector/1", "/inspector/compare?a=1&b=2",
    "/profile", "/endpoints", "/endpoints/1", "/notifications?before=" + "9" * 20,
]  # fmt: skip
STATUS = {"/no-such-page": 404, "/notifications?before=" + "9" * 20: 400}


@pytest.fixture
def live_settings(standin):
    # a low login limit, so the 429 page is one of the states looked at
    return {
        "LOGIN_LIMIT_PER_PAIR": 2,
        "ONESIGNAL_API_URL": standin.url,
        "ONESIGNAL_APP_ID": "11111111-2222-4333-8444-555555555555",
        "ONESIGNAL_API_KEY": "os_v2_app_browser_secret",
    }


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()).strip("-") or "home"


def check_page(page, name: str, console: list, status: int | None = 200) -> None:
    """What every page state must pass, light and dark, with screenshots of both."""
    settled(page)
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(
            """(width) => [...document.querySelectorAll("body *")]
                 .filter(e => e.getBoundingClientRect().right > width)
                 .slice(0, 5).map(e => e.outerHTML.slice(0, 100))""",
            width,
        )
        pytest.fail(f"{page.url} is {scroll_width} px wide at {width} px: {wide}")
    assert page.errors == [], page.url
    if status and status >= 400:  # Chromium reports the page's own status in the console
        console[:] = [m for m in console if f"status of {status}" not in m]
    assert console == [], page.url
    assert page.external_requests == [], page.url
    # what is marked hidden is not shown (a display rule must not override it)
    shown_hidden = page.evaluate(
        """() => [...document.querySelectorAll("[hidden]")]
                 .filter(e => getComputedStyle(e).display !== "none")
                 .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert shown_hidden == [], page.url
    assert page.locator('[autocomplete="None"]').count() == 0, page.url
    headings = page.evaluate(
        "() => [...document.querySelectorAll('main h1, main h2')].map(h => h.tagName)"
    )
    assert not headings or headings[0] == "H1", f"{page.url}: {headings}"
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert_accessible(page, f"{page.url} ({scheme}, {width} px)")
        screenshot(page, f"page-{name}-{width}{'-dark' if scheme == 'dark' else ''}")
    page.emulate_media(color_scheme="light")


def visit(page, url: str, name: str, console: list) -> None:
    path = url.split("//", 1)[1].split("/", 1)[-1]
    expected = STATUS.get("/" + path, 200)
    response = page.goto(url)
    assert response.status == expected, url
    check_page(page, name, console, expected)


def _fill_the_site(page, base: str) -> None:
    """Bob writes to Alice; Alice's app registers a device; Alice sends a push,
    orders something and makes an endpoint: every page then has data."""
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
    page.goto(base + "/orders")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_text("is on its way")).to_be_visible()
    page.goto(base + "/endpoints")
    page.get_by_label("Name").fill("Alice's Pixel, build 42")
    page.get_by_role("button", name="Create an endpoint").click()
    expect(page.get_by_role("heading", name="Alice's Pixel, build 42")).to_be_visible()


def _users(live_app) -> None:
    from demo_app.accounts import create_user

    with live_app.app_context():
        create_user("alice@example.com", PASSWORD)
        create_user("bob@example.com", PASSWORD)


def _forms_with_errors(page, base: str, console: list) -> None:
    """Login and sign-up with errors: each error is tied to its field."""
    page.goto(base + "/login")
    page.get_by_role("button", name="Log in").click()  # both fields empty
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    described = email.get_attribute("aria-describedby")
    assert described and "required" in page.locator(f"#{described.split()[0]}").inner_text()
    check_page(page, "login-empty", console)

    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    password_help = page.get_by_label("Password").get_attribute("aria-describedby")
    assert "Wrong email or password" in page.locator(f"#{password_help}").inner_text()
    check_page(page, "login-wrong", console)

    page.goto(base + "/signup")
    page.get_by_label("Email").fill("not an email")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Sign up").click()
    for label, words in (("Email", "email"), ("Password", "8 characters")):
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        ids = field.get_attribute("aria-describedby").split()
        assert any(words in page.locator(f"#{i}").inner_text() for i in ids), label
    check_page(page, "signup-errors", console)


def _error_pages(page, base: str, console: list) -> None:
    """400 (an out-of-date security token) and 429 (too many failed logins)."""
    page.goto(base + "/login")
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'stale'")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong password")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 400
    check_page(page, "error-400", console, 400)

    for _ in range(3):
        page.goto(base + "/login")
        page.get_by_label("Email").fill("limited@example.com")
        page.get_by_label("Password").fill("wrong password")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 429
    check_page(page, "error-429", console, 429)


def _send_results(page, base: str, console: list, live_app) -> None:
    """Sent (the stand-in answers), and not configured (the request shown)."""
    page.goto(base + "/send-to-me")
    page.get_by_role("button", name="Send a push to me").click()
    expect(page.locator(".result .pill-sent")).to_be_visible()
    check_page(page, "user-send-result", console)
    key = live_app.config["ONESIGNAL_API_KEY"]
    live_app.config["ONESIGNAL_API_KEY"] = ""
    try:
        page.goto(base + "/send-to-me")
        page.get_by_role("button", name="Send a push to me").click()
        expect(page.locator(".result .pill-not_configured")).to_be_visible()
        check_page(page, "user-send-result-not-configured", console)
    finally:
        live_app.config["ONESIGNAL_API_KEY"] = key


def _simulated(page, base: str, console: list) -> None:
    page.goto(base + "/onesignal")
    page.get_by_role("button", name="Simulate the app").click()
    page.wait_for_load_state("load")
    expect(page.locator("#simulated-banner")).to_be_visible()
    page.get_by_text("Linked: device").wait_for()
    page.get_by_role("button", name="Set my external id").click()
    page.get_by_text("Recorded: your profile shows it.").wait_for()
    check_page(page, "user-onesignal-simulated", console)
    page.goto(base + "/devices")
    check_page(page, "user-devices-simulated", console)
    page.goto(base + "/onesignal")
    open_fold(page, "sim-details")
    page.get_by_role("button", name="Stop simulating").click()
    page.wait_for_load_state("load")
    expect(page.locator("#simulated-banner")).to_be_hidden()


@pytest.mark.parametrize("width,height", [(360, 740), (1280, 800)])
def test_every_page_state(browser, live_server, live_app, width, height):
    _users(live_app)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    track_requests(page)
    page.errors, page.external_requests = [], []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    base = live_server.url
    page.on(
        "request",
        lambda r: None
        if r.url.startswith((base, "data:", "blob:"))
        else page.external_requests.append(r.url),
    )
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

    for path in ANONYMOUS:
        visit(page, base + path, f"anon-{_name(path)}", console)
    _forms_with_errors(page, base, console)
    _error_pages(page, base, console)

    _fill_the_site(page, base)
    _send_results(page, base, console, live_app)
    for path in LOGGED_IN:
        visit(page, base + path, f"user-{_name(path)}", console)
    assert "Pixel 8" in page.goto(base + "/devices").text()
    _simulated(page, base, console)
    context.close()


CONTRAST = """(pair) => {
    // WCAG relative luminance of a computed rgb()/rgba() colour
    const lum = (css) => {
        const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const [a, b] = pair.map(lum).sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}"""


def _background(page, selector: str) -> str:
    """The colour actually behind an element: the first opaque background up the tree."""
    return page.evaluate(
        """(selector) => {
            for (let e = document.querySelector(selector); e; e = e.parentElement) {
                const c = getComputedStyle(e).backgroundColor;
                if (!/rgba\\(.*, 0\\)$/.test(c) && c !== "transparent") return c;
            }
            return "rgb(255, 255, 255)";
        }""",
        selector,
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_page_frame(browser, live_server, live_app, scheme, width):
    """Skip link, 44 px header links, 3:1 control borders, the tabs' scroll hint,
    and the colours of the scheme the system asks for."""
    _users(live_app)
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/login")

    # dark mode: a dark page with light text, and the other way round
    page_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    dark = page.evaluate(CONTRAST, [page_bg, "rgb(0, 0, 0)"]) < 2
    assert dark == (scheme == "dark"), page_bg
    assert page.evaluate(CONTRAST, [page_bg, text]) >= 7
    assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == "light dark"

    # the first Tab reaches the skip link, shown; following it lands on the content
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # form controls: a border of 3:1 against what is behind them
    for selector in ("#email", "#password", "#remember", "main button[type=submit]"):
        border = page.evaluate(
            f"getComputedStyle(document.querySelector('{selector}')).borderTopColor"
        )
        if selector == "#remember":  # a checkbox is drawn by the browser in the accent colour
            border = page.evaluate(
                "getComputedStyle(document.querySelector('#remember')).accentColor"
            )
        behind = _background(page, f"{selector}")
        if "submit" in selector:  # the primary button stands on the card
            behind = _background(page, ".card")
        assert page.evaluate(CONTRAST, [border, behind]) >= 3, (selector, border, behind)

    def header_heights():
        return page.evaluate(
            "() => [...document.querySelectorAll('.top a, .top button')]"
            ".map(e => [e.textContent.trim(), e.getBoundingClientRect().height])"
        )

    anonymous = header_heights()
    assert {name for name, _ in anonymous} >= {"Push Lab", "Log in", "Sign up"}
    login(page, base, "alice@example.com")
    expect(page.locator(".who .me")).to_have_text("alice@example.com")
    logged_in = header_heights()
    assert {name for name, _ in logged_in} >= {"alice@example.com", "Log out"}
    for name, height in anonymous + logged_in:
        assert height >= 44, (name, height)

    # the tab row says it scrolls when it is wider than the screen, and only then
    tabs = page.locator(".tabs")
    scrolls = tabs.evaluate("t => t.scrollWidth > t.clientWidth")
    assert scrolls == (width == 360)
    right, left = page.locator(".tabs-more-right"), page.locator(".tabs-more-left")
    if scrolls:
        expect(right).to_be_visible()
        expect(left).to_be_hidden()
        tabs.evaluate("t => { t.scrollLeft = t.scrollWidth; }")
        expect(left).to_be_visible()
        expect(right).to_be_hidden()
    else:
        expect(right).to_be_hidden()
        expect(left).to_be_hidden()
    screenshot(page, f"frame-{width}-{scheme}")
    context.close()


def test_a_long_body_can_be_scrolled_with_the_keyboard(page, live_server, live_app):
    """A capture whose body is taller than its box: the box takes focus, so
    the keyboard can scroll it, and axe finds nothing."""
    _users(live_app)
    base = live_server.url
    login(page, base, "alice@example.com")
    expect(page.locator(".who .me")).to_have_text("alice@example.com")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    body = {"platform": "ios", **{f"customData_{i}": "x" * 40 for i in range(200)}}
    requests.post(base + "/register", json=body, cookies={"session": cookie["value"]}, timeout=10)
    page.goto(base + "/inspector/1")
    long_box = page.locator("#body-pretty")
    assert long_box.evaluate("e => e.scrollHeight > e.clientHeight")
    expect(long_box).to_have_attribute("tabindex", "0")
    long_box.focus()
    page.keyboard.press("PageDown")
    # the key scrolls it (smoothly, so it is waited for)
    page.wait_for_function("() => document.querySelector('#body-pretty').scrollTop > 0")
    assert_accessible(page, "a capture with a long body")
