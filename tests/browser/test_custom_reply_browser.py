"""A QA engineer sets a custom reply on an endpoint in the browser; the app's
POST gets it, after the delay, and the inspector shows the reply it got."""

from demo_app.accounts import create_user, find_by_email
from demo_app.endpoints import service
from demo_app.receiver import replies

from ..payloads import IOS_PAYLOAD
from .conftest import screenshot
from .helpers import assert_accessible, login


def test_custom_reply_is_sent_after_its_delay_and_stored(page, live_server, live_app, monkeypatch):
    waited = []
    real_sleep = replies.time.sleep

    def sleep(seconds):
        waited.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(replies.time, "sleep", sleep)
    with live_app.app_context():
        create_user("qa@example.com", "correct horse battery")
        endpoint = service.create(find_by_email("qa@example.com"), "Android build 42")
        endpoint_id, path = endpoint.id, f"/r/{endpoint.token}"
    login(page, live_server.url, "qa@example.com")
    page.goto(f"{live_server.url}/endpoints/{endpoint_id}")
    page.get_by_text("Set a custom reply").click()
    page.get_by_label("Status code").fill("503")
    page.get_by_label("Content type").fill("application/json")
    page.get_by_label("Body").fill('{"error": "maintenance until 10:00"}')
    page.get_by_label("Delay (seconds)").fill("0.5")
    page.get_by_role("button", name="Save the reply").click()
    assert page.locator(".flash").first.inner_text().startswith("The app's POSTs")
    assert "custom reply" in page.locator("#reply").inner_text()
    assert_accessible(page, "endpoint with a custom reply")
    screenshot(page, "endpoint-custom-reply-360")

    # the app's POST, as the app sends it (same origin, so the page can read it)
    answer = page.evaluate(
        """async ([path, body]) => {
            const r = await fetch(path, {method: "POST", body,
                                         headers: {"Content-Type": "application/json"}});
            return {status: r.status, text: await r.text(), type: r.headers.get("content-type")};
        }""",
        [path, __import__("json").dumps(IOS_PAYLOAD)],
    )
    assert answer == {"status": 503, "text": '{"error": "maintenance until 10:00"}',
                      "type": "application/json"}  # fmt: skip
    assert waited == [0.5]

    page.goto(f"{live_server.url}/inspector")
    page.locator(".capture a.cap-link").first.click()
    detail = page.locator("#request")  # the capture's "Request" details
    detail.get_by_text("Custom reply").wait_for()
    text = detail.inner_text()
    assert "503" in text and "maintenance until 10:00" in text and "after 0.5 s" in text
    assert page.errors == [] and page.external_requests == []
