"""Two people in two browsers: Bob picks Alice from his list and writes; Alice's
open inbox and her unread count change without a reload."""

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot
from .helpers import assert_accessible, login, send_message

pytestmark = pytest.mark.browser


def _phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return context, page


def test_bob_writes_and_alices_open_inbox_follows(browser, live_server, live_app):
    from demo_app.accounts import create_user

    with live_app.app_context():
        for email in ("alice@example.com", "bob@example.com", "stranger@example.com"):
            create_user(email, PASSWORD)
    base = live_server.url
    alice_context, alice = _phone(browser)
    bob_context, bob = _phone(browser)

    # Alice wrote to Bob once; she keeps her messages page open.
    login(alice, base, "alice@example.com")
    send_message(alice, base, "bob@example.com", "Are you there?")
    expect(alice.get_by_text("Message sent")).to_be_visible()
    expect(alice.get_by_text("No messages yet.")).to_be_visible()
    expect(alice.locator("#messages-count")).to_be_hidden()
    alice.evaluate("window.stillTheSamePage = true")

    # Bob does not type her email: she is in his list of people he wrote with.
    login(bob, base, "bob@example.com")
    bob.goto(base + "/messages")
    expect(bob.locator("#messages-count")).to_have_text("1 unread")
    bob.get_by_role("button", name="alice@example.com").click()
    expect(bob.get_by_label("To", exact=True)).to_have_value("alice@example.com")
    expect(bob.get_by_role("button", name="alice@example.com")).to_have_attribute(
        "aria-pressed", "true"
    )
    # the search offers the people he wrote with, never the site's other accounts
    with bob.expect_response("**/api/messages/recipients?q=s") as answer:
        bob.get_by_label("To", exact=True).fill("s")
    assert answer.value.json() == {"recipients": []}
    bob.get_by_label("To", exact=True).fill("")
    bob.get_by_role("button", name="alice@example.com").click()
    bob.get_by_label("Message").fill("Yes, <b>here</b>")
    bob.get_by_role("button", name="Send message").click()
    expect(bob.get_by_text("Message sent")).to_be_visible()
    assert_accessible(bob, "Bob's messages page")

    # Alice's page shows it, and the count in her tabs, without a reload.
    row = alice.locator("#inbox li").first
    expect(row).to_contain_text("bob@example.com", timeout=15_000)
    expect(row).to_contain_text("Yes, <b>here</b>")  # as text, not as HTML
    assert alice.locator("#inbox b").count() == 0
    expect(alice.locator("#messages-count")).to_have_text("1 unread")
    expect(alice.locator("#unread")).to_have_text("1 unread")
    expect(alice.get_by_text("No messages yet.")).to_be_hidden()
    assert alice.evaluate("window.stillTheSamePage") is True
    screenshot(alice, "messages-live-360")
    assert_accessible(alice, "Alice's inbox after a live update")

    # Opening it elsewhere (here, her own second tab) brings the count back down.
    other = alice_context.new_page()
    other.goto(base + "/messages")
    other.locator("#inbox li a").first.click()
    expect(other.get_by_role("heading", name="From bob@example.com")).to_be_visible()
    expect(alice.locator("#messages-count")).to_be_hidden(timeout=15_000)
    expect(alice.locator("#unread")).to_have_count(0)
    assert alice.evaluate("window.stillTheSamePage") is True
    assert alice.errors == [] and bob.errors == []
    alice_context.close()
    bob_context.close()
