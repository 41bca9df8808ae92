"""Steps a person takes in the browser, shared by the browser tests."""

from ..conftest import PASSWORD


def login(page, base, email, password=PASSWORD):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def send_message(page, base: str, to: str, body: str) -> None:
    """Write to another user through the messages form, as a person would."""
    page.goto(base + "/messages")
    page.get_by_label("To (their email)").fill(to)
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name="Send message").click()
