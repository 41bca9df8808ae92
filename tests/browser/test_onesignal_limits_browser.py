"""The profile's "What OneSignal links" panel in Chromium when the viewer has
used up their OneSignal look-ups: the server's words, not an HTTP status."""

import pytest
from playwright.sync_api import expect

from ..standin import subscription, user
from .helpers import login

pytestmark = pytest.mark.browser


@pytest.fixture
def live_settings(standin):
    return {
        "ONESIGNAL_API_URL": standin.url,
        "ONESIGNAL_APP_ID": "11111111-2222-4333-8444-555555555555",
        "ONESIGNAL_API_KEY": "os_v2_app_SECRETKEY0123456789",
        "LOOKUP_LIMIT_PER_MINUTE": 1,
    }


def test_the_panel_says_when_to_ask_again(page, live_server, live_app, standin):
    from demo_app.accounts import create_user

    from ..conftest import PASSWORD

    with live_app.app_context():
        create_user("alice@example.com", PASSWORD)
    standin.users["user-1"] = user("user-1", subscription("aaaaaaaa-0000-4000-8000-000000000001"))
    login(page, live_server.url, "alice@example.com")
    page.goto(live_server.url + "/profile")
    expect(page.locator(".os-user-summary")).to_contain_text("OneSignal links 1 push subscription")
    page.reload()
    summary = page.locator(".os-user-summary")
    expect(summary).to_contain_text("You asked OneSignal once in the last minute: ask again in")
    assert summary.get_attribute("data-outcome") == "limited"
    assert len(standin.paths()) == 1
    assert page.errors == [] and page.external_requests == []
