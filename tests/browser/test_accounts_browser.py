"""A person signs up, logs out and in again, in real Chromium at phone width."""

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot
from .helpers import assert_accessible

pytestmark = pytest.mark.browser


def test_signup_login_logout(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Email").fill("walker@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    screenshot(page, "signup-360")
    assert_accessible(page, "the sign-up form")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Your account is ready")).to_be_visible()
    assert page.locator(".who .me").inner_text() == "walker@example.com"

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out")).to_be_visible()
    assert page.locator(".who .me").count() == 0

    page.goto(live_server.url + "/profile")
    assert "/login" in page.url
    page.get_by_label("Email").fill("walker@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Wrong email or password")).to_be_visible()
    # the error is read with both fields, and they say they are wrong
    for label in ("Email", "Password"):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        assert "password-error-1" in field.get_attribute("aria-describedby").split()
    assert_accessible(page, "login with a wrong password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/profile")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    screenshot(page, "profile-360")
    assert_accessible(page, "the profile")

    # Nothing wider than the phone's screen, no script error, nothing fetched from outside.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == []
    assert page.external_requests == []
