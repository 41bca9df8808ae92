"""The receiver page and the live inspector in real Chromium at phone width."""

import pytest
import requests
from playwright.sync_api import expect

from .conftest import screenshot
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
    page.goto(live_server.url + "/receiver")
    # the receiver page offers the QA engineer's own endpoint
    assert page.locator("#register-url").inner_text() == live_server.url + qa.endpoint
    assert '"urlRegex": ".*"' in page.locator("#config-json").inner_text()
    page.get_by_role("button", name="Send a sample POST").click()
    result = page.locator("#sample-result")
    result.wait_for(state="visible")
    assert "HTTP 200" in result.inner_text()
    assert '"user": "qa@example.com"' in result.inner_text()
    screenshot(page, "receiver-360")
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
    page.wait_for_load_state("networkidle")  # a poll already in flight may still land
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
