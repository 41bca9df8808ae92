"""The receiver page and the live inspector in real Chromium at phone width."""

import pytest
import requests
from playwright.sync_api import expect

from .conftest import screenshot, settled
from .helpers import login

pytestmark = pytest.mark.browser


class QA(str):
    """The QA engineer's email, with the path of their private endpoint."""

    endpoint: str


@pytest.fixture
def qa(live_app):
    from demo_app.accounts import create_user
    from demo_app.endpoints import service

    from ..conftest import PASSWORD

    with live_app.app_context():
        user = create_user("qa@example.com", PASSWORD)
        qa = QA(user.email)
        qa.endpoint = "/r/" + service.create(user, "QA phone").token
    return qa


def test_sample_post_from_receiver_page_shows_in_inspector(page, live_server, qa):
    login(page, live_server.url, qa)
    page.goto(live_server.url + "/receiver")  # the old page leads to the endpoints
    page.get_by_role("link", name="QA phone").click()
    # the endpoint's page gives its URL and the app's configuration for it
    assert page.locator("#endpoint-url").inner_text() == live_server.url + qa.endpoint
    assert '"urlRegex": ".*"' in page.locator("#config-json").inner_text()
    page.get_by_role("button", name="Send a sample POST").click()
    result = page.locator("#sample-result")
    result.wait_for(state="visible")
    assert "HTTP 200" in result.inner_text()
    assert '"user": "qa@example.com"' in result.inner_text()
    screenshot(page, "endpoint-start-360")
    page.goto(live_server.url + "/inspector")
    first = page.locator("li.capture").first
    assert "qa@example.com" in first.inner_text() and "QA phone" in first.inner_text()
    first.locator("a").click()
    fields = page.get_by_role("heading", name="GoNative / Median registration fields")
    expect(fields).to_be_visible()
    assert page.locator("#body-pretty").inner_text().startswith("{")
    screenshot(page, "capture-detail-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == [] and page.external_requests == []


def test_live_list_adds_new_captures_without_moving_the_reader(page, live_server, qa):
    for i in range(30):
        requests.post(live_server.url + qa.endpoint, json={"n": i}, timeout=10)
    login(page, live_server.url, qa)
    page.goto(live_server.url + "/inspector")
    assert page.locator("li.capture").count() == 30
    # The reader scrolls down to capture #10 and reads it.
    anchor = page.locator('li.capture[data-id="10"]')
    anchor.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 0)")
    top_before = anchor.bounding_box()["y"]
    polls = []
    page.on("requestfinished", lambda r: polls.append(r) if "/inspector/rows" in r.url else None)
    requests.post(live_server.url + qa.endpoint, json={"n": "fresh"}, timeout=10)
    expect(page.locator('li.capture[data-id="31"]')).to_be_attached(timeout=10_000)
    # the first poll after the capture was stored brought it (at most one was in flight)
    assert len(polls) <= 2
    assert page.locator("li.capture").first.get_attribute("data-id") == "31"
    assert abs(anchor.bounding_box()["y"] - top_before) < 2  # still where the reader left it
    assert page.evaluate("window.scrollY") > 0


def test_live_list_rests_while_the_page_is_hidden(page, live_server, qa):
    requests.post(live_server.url + qa.endpoint, json={"n": 1}, timeout=10)
    login(page, live_server.url, qa)
    page.goto(live_server.url + "/inspector")
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/inspector/rows" in r.url else None)
    # the visible page asks for new rows
    with page.expect_request(lambda r: "/inspector/rows" in r.url, timeout=10_000):
        pass

    # The phone goes into a pocket: the page is hidden.
    page.evaluate(
        """() => {
          Object.defineProperty(document, "hidden", {value: true, configurable: true});
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    settled(page)  # a poll already in flight may still land
    polls.clear()
    requests.post(live_server.url + qa.endpoint, json={"n": 2}, timeout=10)
    # Three poll intervals pass on the page's own clock: no poll while hidden.
    page.evaluate("() => new Promise(done => setTimeout(done, 3000))")
    assert polls == []
    assert page.locator('li.capture[data-id="2"]').count() == 0

    # Shown again: it catches up at once.
    page.evaluate(
        """() => {
          Object.defineProperty(document, "hidden", {value: false, configurable: true});
          document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    expect(page.locator('li.capture[data-id="2"]')).to_be_attached(timeout=1000)
    assert page.errors == []


def _fill(base: str, endpoint: str, n: int) -> None:
    """n captures of three kinds: a clean iOS registration (ok), a JSON body
    that is no registration (warning), and a form body (warning)."""
    from ..payloads import IOS_PAYLOAD

    for i in range(n):
        if i % 3 == 0:
            requests.post(base + endpoint + "?build=41", json=IOS_PAYLOAD, timeout=10)
        elif i % 3 == 1:
            requests.post(base + endpoint, json={"n": i}, timeout=10)
        else:
            requests.post(base + endpoint, data={"user": f"u{i}", "step": "login"}, timeout=10)


def _visible_rows(page) -> int:
    """Capture rows wholly inside the first screen."""
    return page.evaluate(
        """() => [...document.querySelectorAll('li.capture')].filter(row => {
             const box = row.getBoundingClientRect();
             return box.top >= 0 && box.bottom <= window.innerHeight;
           }).length"""
    )


def test_wide_screen_shows_a_dozen_rows_and_opens_captures_beside_the_list(
    browser, live_server, qa
):
    _fill(live_server.url, qa.endpoint, 20)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server.url, qa)
    page.goto(live_server.url + "/inspector")
    assert _visible_rows(page) >= 12
    screenshot(page, "inspector-1280")
    row = page.locator('li.capture[data-id="4"] a.cap-link')
    row.click()
    heading = page.locator("#capture-pane").get_by_role("heading", name="Capture #4")
    expect(heading).to_be_visible()
    # side by side: the detail is right of the list, level with it, and the list stayed
    list_box = page.locator(".capture-list").bounding_box()
    pane_box = page.locator("#capture-pane").bounding_box()
    assert pane_box["x"] >= list_box["x"] + list_box["width"] - 1
    assert pane_box["y"] < list_box["y"] + list_box["height"]
    assert list_box["y"] < pane_box["y"] + pane_box["height"]
    assert row.is_visible() and heading.is_visible()
    assert page.url == live_server.url + "/inspector/4"
    assert page.locator("li.capture").count() == 20
    assert row.get_attribute("aria-current") == "true"
    # the list still goes on living
    requests.post(live_server.url + qa.endpoint, json={"n": "fresh"}, timeout=10)
    expect(page.locator('li.capture[data-id="21"]')).to_be_attached(timeout=10_000)
    screenshot(page, "inspector-split-1280")
    # the keyboard: j moves to the next (older) row and opens it
    row.focus()
    page.keyboard.press("j")
    expect(page.locator("#capture-pane").get_by_role("heading", name="Capture #3")).to_be_visible()
    assert page.url == live_server.url + "/inspector/3"
    # Enter on a row opens it too
    page.locator('li.capture[data-id="7"] a.cap-link').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#capture-pane").get_by_role("heading", name="Capture #7")).to_be_visible()
    # the browser's back button goes back to the capture before
    page.go_back()
    expect(page.locator("#capture-pane").get_by_role("heading", name="Capture #3")).to_be_visible()
    # a reload of the capture's URL gives the same split view
    page.goto(live_server.url + "/inspector/4")
    expect(page.get_by_role("heading", name="Capture #4")).to_be_visible()
    assert page.locator(".capture-list").is_visible()
    assert _visible_rows(page) >= 12
    assert page.locator('li.capture[data-id="4"] a.cap-link').get_attribute("aria-current")
    assert errors == []
    context.close()


def test_phone_screen_starts_with_captures_and_opens_the_full_page(page, live_server, qa):
    _fill(live_server.url, qa.endpoint, 6)
    login(page, live_server.url, qa)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/inspector")
    first = page.locator("li.capture").first
    box = first.bounding_box()
    assert box["y"] + box["height"] <= 740  # a whole row on the first screen
    assert not page.get_by_placeholder("path starts with").is_visible()  # filters folded
    screenshot(page, "inspector-360")
    first.locator("a").click()
    expect(page.get_by_role("heading", name="Capture #6", level=2)).to_be_visible()
    assert page.url == live_server.url + "/inspector/6"
    assert not page.locator(".capture-list").is_visible()  # the full detail page
    # the form body is a table, not {"form": ...} under a JSON heading
    table = page.locator("#form-table")
    expect(table).to_be_visible()
    assert "u5" in table.inner_text() and "login" in table.inner_text()
    assert page.locator("#body-pretty").count() == 0
    # the time is relative, the exact UTC time on hover
    received = page.locator(".summary-line time")
    assert received.inner_text().endswith("ago") or received.inner_text() == "just now"
    assert received.get_attribute("title").endswith(" UTC")
    screenshot(page, "capture-detail-form-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(live_server.url + "/inspector/4")
    query = page.locator("#query-table")
    expect(query).to_be_visible()
    assert "build" in query.inner_text() and "41" in query.inner_text()
    assert page.errors == [] and page.external_requests == []


def test_compare_two_ticked_rows(page, live_server, qa):
    _fill(live_server.url, qa.endpoint, 4)
    login(page, live_server.url, qa)
    page.goto(live_server.url + "/inspector")
    button = page.get_by_role("button", name="Compare ticked")
    expect(button).to_be_disabled()
    page.get_by_label("Tick #1 to compare").check()
    page.get_by_label("Tick #2 to compare").check()
    page.get_by_label("Tick #4 to compare").check()  # a third lets go of the first
    assert not page.get_by_label("Tick #1 to compare").is_checked()
    expect(button).to_be_enabled()
    button.click()
    expect(page.get_by_role("heading", name="From #2 to #4")).to_be_visible()
    assert page.errors == []


def test_warning_status_is_amber_and_filterable(page, live_server, qa):
    _fill(live_server.url, qa.endpoint, 3)
    login(page, live_server.url, qa)
    page.goto(live_server.url + "/inspector")
    warning = page.locator('li.capture[data-id="2"] .pill-warning')
    expect(warning).to_have_text("warning · 200")
    amber = warning.evaluate("el => getComputedStyle(el).color")
    ok = page.locator('li.capture[data-id="1"] .pill-ok').evaluate(
        "el => getComputedStyle(el).color"
    )
    warn = page.evaluate(
        """() => { const probe = document.createElement("span");
                   probe.style.color = "var(--warn)"; document.body.append(probe);
                   const color = getComputedStyle(probe).color; probe.remove(); return color; }"""
    )
    assert amber == warn and amber != ok  # the site's amber, --warn
    page.get_by_text("Filters").click()
    page.get_by_label("Status").select_option("warning")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(
        live_server.url + "/inspector?q=&endpoint_id=&status=warning&platform=&label=&user=&path="
    )
    rows = page.locator("li.capture")
    expect(rows).to_have_count(2)
    assert [row.get_attribute("data-id") for row in rows.all()] == ["3", "2"]
    assert page.errors == []


def test_sample_post_links_to_its_capture(page, live_server, qa):
    login(page, live_server.url, qa)
    page.goto(live_server.url + "/inspector")  # empty: it offers the same sample
    page.get_by_role("button", name="Send a sample POST").click()
    link = page.get_by_role("link", name="Open capture #1 in the inspector")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name="Capture #1", level=2)).to_be_visible()
    assert page.errors == []
