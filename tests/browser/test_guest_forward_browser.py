"""A visitor's first minute in real Chromium: a private URL in one click, the
app's request in the inspector, the endpoint forwarding to a backend, and a
replay; at phone and desktop width, light and dark, with axe-core clean."""

import pytest
import requests
from playwright.sync_api import expect

from .helpers import check_both_schemes

pytestmark = pytest.mark.browser


@pytest.fixture
def live_settings():
    # the backend runs on this machine: the operator allows private addresses
    return {"FORWARD_ALLOW_PRIVATE": True, "FORWARD_TIMEOUT": 2.0}


def _check(page, name: str) -> None:
    check_both_schemes(page, name)


@pytest.mark.parametrize("width,height", [(360, 740), (1280, 800)])
def test_a_visitors_first_minute(page, live_server, backend, width, height):
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    page.goto(base + "/")
    _check(page, "guest-start")
    page.get_by_role("button", name="Get a private URL now").click()

    # The endpoint's page: its URL, the guest's 7 days, the way to keep it.
    expect(page.get_by_text("Your private endpoint is ready")).to_be_visible()
    expect(page.get_by_role("link", name="Sign up to keep it")).to_be_visible()
    url = page.locator("#endpoint-url").inner_text().strip()
    assert url.startswith(base + "/r/")
    _check(page, "guest-endpoint")

    # Forward to the company's backend, handing its answer to the app.
    page.locator("#forward summary").click()
    page.get_by_label("Forward URL").fill(backend.url)
    page.get_by_label("your backend's answer, as it came").check()
    page.get_by_role("button", name="Forward", exact=True).click()
    expect(page.get_by_text("is now also sent to your backend")).to_be_visible()

    # The app posts; it gets the backend's answer, and the capture keeps it.
    answer = requests.post(url + "/devices", json={"oneSignalUserId": "x"}, timeout=10)
    assert answer.status_code == 201 and answer.json() == {"registered": True}
    assert [r["path"] for r in backend.requests] == ["/api/push/devices"]
    page.goto(base + "/inspector")
    page.locator("a[href^='/inspector/']").first.click()
    section = page.locator("#forwards")
    expect(section).to_contain_text("Forwarded to")
    expect(section).to_contain_text("the app got this answer")
    _check(page, "guest-capture-forwarded")

    # Replay: the backend is asked again, and the new answer is listed first.
    backend.status = 503
    section.get_by_role("button", name="Replay to").click()
    expect(page.get_by_text("your backend answered 503")).to_be_visible()
    expect(page.locator("#forwards .exchange").first).to_contain_text("Replayed")
    assert len(backend.requests) == 2
    _check(page, "guest-capture-replayed")
