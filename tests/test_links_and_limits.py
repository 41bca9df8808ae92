"""Links come from SITE_URL, never from the Host header; untrusted hosts get
400; the receiver has a per-address limit that counts without storing."""

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture

from .payloads import IOS_PAYLOAD


def _cookies_for(client, domain: str) -> None:
    """The test client keeps cookies per domain: copy the login to `domain`."""
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        if cookie:
            client.set_cookie(name, cookie.value, domain=domain)


@pytest.fixture
def app_settings():
    return {"SITE_URL": "https://push.example.com"}


def test_untrusted_host_gets_400_everywhere(client, app):
    assert client.get("/", headers={"Host": "push.example.com"}).status_code == 200
    for path in ("/", "/endpoints", "/onesignal", "/login"):
        assert client.get(path, headers={"Host": "evil.example"}).status_code == 400, path
    # the receiver answers 400 too, and still records what came
    response = client.post("/register", json={}, headers={"Host": "evil.example"})
    assert response.status_code == 400 and "Host" in response.json["error"]
    with app.app_context():
        capture = db.session.scalar(sa.select(Capture))
        assert capture.status == "rejected" and capture.http_status == 400


@pytest.mark.parametrize("app_settings", [{"SITE_URL": "https://push.example.com",
                                           "TRUSTED_HOSTS": None}])  # fmt: skip
def test_links_never_come_from_the_host_header(client, app, auth):
    """With host checking switched off entirely, a forged Host still changes
    no link: the receiver page, the QR code's page and cURL commands."""
    app.config["TRUSTED_HOSTS"] = None
    forged = {"Host": "evil.example"}
    hub = client.get("/onesignal", headers=forged).get_data(as_text=True)
    assert "evil.example" not in hub
    auth.create("admin@example.com", admin=True)
    auth.login("admin@example.com")
    _cookies_for(client, "evil.example")
    # the empty inspector's URL, app configuration and cURL sample
    start = client.get("/inspector", headers=forged).get_data(as_text=True)
    assert "https://push.example.com/register" in start and "evil.example" not in start
    client.post("/register/x", json=IOS_PAYLOAD, headers=forged)
    detail = client.get("/inspector/1", headers=forged).get_data(as_text=True)
    assert "https://push.example.com/register/x" in detail
    har = client.get("/inspector/1/har", headers=forged).get_data(as_text=True)
    assert "https://push.example.com/register/x" in har and "evil.example/" not in har


def test_message_push_links_to_site_url(client, auth, app, standin):
    app.config.update(
        ONESIGNAL_API_URL=standin.url, ONESIGNAL_APP_ID="app", ONESIGNAL_API_KEY="key",
        TRUSTED_HOSTS=None,
    )  # fmt: skip
    auth.create("alice@example.com")
    auth.create("bob@example.com")
    auth.login("bob@example.com")
    auth.post_json("/api/devices", IOS_PAYLOAD)
    auth.logout()
    auth.login("alice@example.com")
    token = auth.token()
    _cookies_for(client, "evil.example")
    client.post(
        "/messages",
        data={"recipient": "bob@example.com", "body": "hi", "csrf_token": token},
        headers={"Host": "evil.example"},
    )
    body = standin.requests[-1]["body"]
    assert body["data"]["targetUrl"].startswith("https://push.example.com/messages/")
    assert "evil.example" not in str(body)


@pytest.mark.parametrize("app_settings", [{"REGISTER_LIMIT_PER_MINUTE": 5}])
def test_receiver_limits_each_address(client, app, monkeypatch):
    import time

    monkeypatch.setattr(time, "time", lambda: 1_000_000.0)  # no minute ends meanwhile
    for _ in range(5):
        assert client.post("/register", json=IOS_PAYLOAD).status_code == 200
    over = client.post("/register", json=IOS_PAYLOAD)
    assert over.status_code == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert "REGISTER_LIMIT_PER_MINUTE" in over.json["error"]
    # counted, not stored: five captures, and no log line either
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Capture.id))) == 5
    # another address is not affected
    other = client.post("/register", json={}, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other.status_code == 200


@pytest.mark.parametrize("app_settings", [{"REGISTER_LIMIT_PER_MINUTE": 2}])
def test_receiver_limit_window_starts_again(client, app, monkeypatch):
    import time

    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    codes = [client.post("/register", json={}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    now[0] += 60
    assert client.post("/register", json={}).status_code == 200
