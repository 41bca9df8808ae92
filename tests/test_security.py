"""Who may do what: every route against anonymous, user A, user B and an admin,
plus the cookie rules. A route added without a row here fails the test."""

import runpy
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture, Device, Message

from .conftest import PASSWORD, csrf_from
from .payloads import IOS_PAYLOAD, PLAYER

ROLES = ("anonymous", "alice", "bob", "admin")
EXTERNAL = {"action": "remove", "method": "legacy", "subscription_id": PLAYER, "success": True}

# (endpoint, method) -> (path, request kwargs, {role: expected status}).
# Alice owns device 1, sent capture 1 and message 1 (to Bob). Destructive rows
# come last, and within a row roles run in the order above.
MATRIX = [
    ("main.index", "GET", "/", {}, (200, 200, 200, 200)),
    ("main.ping", "GET", "/ping", {}, (200, 200, 200, 200)),
    ("main.healthz", "GET", "/healthz", {}, (200, 200, 200, 200)),
    ("auth.login", "GET", "/login", {}, (200, 200, 200, 200)),
    ("auth.login", "POST", "/login", {"data": {}}, (200, 200, 200, 200)),
    ("auth.signup", "GET", "/signup", {}, (200, 200, 200, 200)),
    ("auth.signup", "POST", "/signup", {"data": {}}, (200, 200, 200, 200)),
    ("auth.profile", "GET", "/profile", {}, (302, 200, 200, 200)),
    ("auth.profile", "POST", "/profile", {"data": {}}, (302, 200, 200, 200)),
    ("auth.change_password", "POST", "/profile/password", {"data": {}}, (302, 200, 200, 200)),
    # the receiver's old page: its URL and samples are on each endpoint's page now
    ("endpoints.receiver", "GET", "/receiver", {}, (302, 302, 302, 302)),
    ("receiver.register", "POST", "/register", {"json": {}}, (200, 200, 200, 200)),
    ("receiver.register", "GET", "/register", {}, (405, 405, 405, 405)),
    ("receiver.register", "PUT", "/register", {}, (405, 405, 405, 405)),
    ("receiver.register", "PATCH", "/register", {}, (405, 405, 405, 405)),
    ("receiver.register", "DELETE", "/register", {}, (405, 405, 405, 405)),
    ("receiver.register", "OPTIONS", "/register", {}, (405, 405, 405, 405)),
    ("receiver.endpoint", "POST", "/r/no-such-endpoint-token", {"json": {}}, (404, 404, 404, 404)),
    ("receiver.endpoint", "GET", "/r/no-such-endpoint-token", {}, (404, 404, 404, 404)),
    ("receiver.endpoint", "PUT", "/r/no-such-endpoint-token", {}, (404, 404, 404, 404)),
    ("receiver.endpoint", "PATCH", "/r/no-such-endpoint-token", {}, (404, 404, 404, 404)),
    ("receiver.endpoint", "DELETE", "/r/no-such-endpoint-token", {}, (404, 404, 404, 404)),
    ("receiver.endpoint", "OPTIONS", "/r/no-such-endpoint-token", {}, (404, 404, 404, 404)),
    # a visitor is offered a guest endpoint
    ("endpoints.index", "GET", "/endpoints", {}, (200, 200, 200, 200)),
    ("endpoints.index", "POST", "/endpoints", {"data": {}}, (302, 200, 200, 200)),
    ("endpoints.detail", "GET", "/endpoints/1", {}, (302, 200, 404, 200)),
    ("endpoints.rename", "POST", "/endpoints/1/rename", {"data": {"name": "QA"}},
     (302, 302, 404, 404)),
    ("endpoints.new_url", "POST", "/endpoints/1/new-url", {"data": {}}, (302, 302, 404, 404)),
    ("endpoints.reply", "POST", "/endpoints/1/reply",
     {"data": {"status": "503", "content_type": "text/plain", "body": "down", "delay": "0"}},
     (302, 302, 404, 404)),
    ("endpoints.clear_reply", "POST", "/endpoints/1/reply/clear", {"data": {}},
     (302, 302, 404, 404)),
    ("endpoints.set_forward", "POST", "/endpoints/1/forward",
     {"data": {"url": "https://backend.example.com/push", "answer": "site"}},
     (302, 302, 404, 404)),
    ("endpoints.stop_forwarding", "POST", "/endpoints/1/forward/stop", {"data": {}},
     (302, 302, 404, 404)),
    # Alice's endpoint forwards nowhere: nothing to replay, for anybody.
    ("inspector.replay", "POST", "/inspector/3/replay", {"data": {}}, (302, 403, 404, 403)),
    ("inspector.index", "GET", "/inspector", {}, (302, 200, 200, 200)),
    ("inspector.rows", "GET", "/inspector/rows?after=0", {}, (302, 200, 200, 200)),
    # Capture 1 is Alice's: Bob gets the same 404 as for a capture that does not exist.
    ("inspector.detail", "GET", "/inspector/1", {}, (302, 200, 404, 200)),
    ("inspector.pane", "GET", "/inspector/1/pane", {}, (302, 200, 404, 200)),
    ("inspector.compare_page", "GET", "/inspector/compare?pick=1&pick=3", {}, (302, 200, 404, 200)),
    ("inspector.download_body", "GET", "/inspector/1/body", {}, (302, 200, 404, 200)),
    ("inspector.download_har", "GET", "/inspector/1/har", {}, (302, 200, 404, 200)),
    ("inspector.compare_page", "GET", "/inspector/compare?a=1&b=1", {}, (302, 200, 404, 200)),
    ("inspector.api_list", "GET", "/api/captures", {}, (401, 200, 200, 200)),
    ("onesignal.registration", "GET",
     "/api/onesignal/registration?subscription_id=1a2b3c4d-0000-4000-8000-00000000abcd", {},
     (401, 200, 200, 200)),
    ("inspector.api_detail", "GET", "/api/captures/1", {}, (401, 200, 404, 200)),
    # Capture 3 went anonymously to Alice's private endpoint.
    ("inspector.detail", "GET", "/inspector/3", {}, (302, 200, 404, 200)),
    ("inspector.api_detail", "GET", "/api/captures/3", {}, (401, 200, 404, 200)),
    ("inspector.api_export", "GET", "/api/captures.ndjson", {}, (401, 200, 200, 200)),
    ("inspector.api_export_har", "GET", "/api/captures.har", {}, (401, 200, 200, 200)),
    ("onesignal.hub", "GET", "/onesignal", {}, (200, 200, 200, 200)),
    ("devices.link_device", "POST", "/api/devices", {"json": {}}, (401, 400, 400, 400)),
    ("devices.record_external_id", "POST", "/api/external-id", {"json": EXTERNAL},
     (401, 200, 404, 404)),
    ("devices.my_devices", "GET", "/devices", {}, (302, 200, 200, 200)),
    ("push.send_to_me", "GET", "/send-to-me", {}, (302, 200, 200, 200)),
    ("push.send_to_me", "POST", "/send-to-me",
     {"data": {"target": "device:1", "title": "t", "message": "m"}}, (302, 200, 404, 404)),
    ("push.history_page", "GET", "/notifications", {}, (302, 200, 200, 200)),
    ("push.inbox", "GET", "/messages", {}, (302, 200, 200, 200)),
    ("push.inbox", "POST", "/messages", {"data": {}}, (302, 200, 200, 200)),
    ("push.message", "GET", "/messages/1", {}, (302, 200, 200, 404)),
    # the viewer's own count, messages and correspondents (test_messages.py)
    ("push.messages_news", "GET", "/api/messages/unread?after=0", {}, (401, 200, 200, 200)),
    ("push.recipients", "GET", "/api/messages/recipients?q=b", {}, (401, 200, 200, 200)),
    ("push.orders", "GET", "/orders", {}, (302, 200, 200, 200)),
    ("push.orders", "POST", "/orders", {"data": {}}, (302, 302, 302, 302)),
    ("push.order_rows", "GET", "/orders/rows", {}, (302, 200, 200, 200)),
    # The open token is the capability: a forged one is answered like any other.
    ("push.push_opened", "POST", "/api/push-opened",
     {"json": {"targetUrl": "http://localhost/?opened=forged"}}, (200, 200, 200, 200)),
    # Push 1 is Bob's (Alice's message to him); device 1 is Alice's.
    ("push.refresh_stats", "POST", "/notifications/1/refresh", {"data": {}}, (302, 404, 302, 404)),
    # Bob and the admin get what a device nobody has gets: no pushes, linked false
    ("push.simulated_pushes", "GET", f"/api/simulated-pushes?subscription_id={PLAYER}", {},
     (401, 200, 200, 200)),
    ("onesignal.user_panel", "GET", "/onesignal/user-panel", {}, (302, 200, 200, 200)),
    ("onesignal.identity", "GET", f"/api/onesignal/identity?subscription_id={PLAYER}", {},
     (401, 200, 404, 404)),
    # Capture 2 is Alice's own (sent with her login): she deletes it, then it is gone.
    ("inspector.delete", "POST", "/inspector/2/delete", {"data": {}}, (302, 302, 404, 404)),
    # Alice shares her endpoint with Bob, then takes it back; only she may.
    ("endpoints.share", "POST", "/endpoints/1/share", {"data": {"email": "bob@example.com"}},
     (302, 302, 404, 404)),
    # Bob accepts (only the invitee can), then Alice takes the share back.
    ("endpoints.accept", "POST", "/endpoints/1/accept", {"data": {}}, (302, 404, 302, 404)),
    # Bob, now a member, reads its captures but may not clear them; Alice may.
    ("endpoints.clear_captures", "POST", "/endpoints/1/captures/delete", {"data": {}},
     {"anonymous": 302, "bob": 404, "admin": 404, "alice": 302}),
    ("endpoints.unshare", "POST", "/endpoints/1/members/2/remove", {"data": {}},
     (302, 302, 404, 404)),
    ("endpoints.decline", "POST", "/endpoints/1/decline", {"data": {}}, (302, 404, 404, 404)),
    ("endpoints.delete", "POST", "/endpoints/1/delete", {"data": {}},
     {"anonymous": 302, "bob": 404, "admin": 404, "alice": 302}),
    # Others try Alice's device before she removes it; then it is gone for her too.
    ("devices.remove", "POST", "/devices/1/remove", {"data": {}},
     {"anonymous": 302, "bob": 404, "admin": 404, "alice": 302}),
    ("devices.remove", "POST", "/devices/1/remove", {"data": {}}, (302, 404, 404, 404)),
    ("auth.logout_everywhere", "POST", "/logout-everywhere", {"data": {}}, (302, 302, 302, 302)),
    ("auth.logout", "POST", "/logout", {"data": {}}, (302, 302, 302, 302)),
    # Last: the anonymous browser becomes a guest here; a logged-in one is sent on.
    ("endpoints.guest", "POST", "/guest", {"data": {}}, (302, 302, 302, 302)),
]  # fmt: skip
SKIP = {("static", "GET")}
RECEIVER_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def test_every_route_has_a_row(app):
    covered = {(endpoint, method) for endpoint, method, *_ in MATRIX}
    missing = []
    for rule in app.url_map.iter_rules():
        # the receiver's rules take any method: every one in the matrix is a row
        methods = rule.methods if rule.methods is not None else RECEIVER_METHODS
        for method in sorted(methods - {"HEAD"}):
            if (rule.endpoint, method) in SKIP:
                continue
            if method == "OPTIONS" and rule.methods is not None:
                continue  # Flask's automatic OPTIONS answer, no view behind it
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "routes without an authorization row: " + ", ".join(missing)


def _clients(app, auth):
    clients = {}
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            token = csrf_from(client.get("/login").get_data(as_text=True))
            response = client.post(
                "/login",
                data={"email": f"{role}@example.com", "password": PASSWORD, "csrf_token": token},
            )
            assert response.status_code == 302, role
        clients[role] = client
    return clients


def test_authorization_matrix(app, auth):
    for role in ("alice", "bob", "admin"):
        auth.create(f"{role}@example.com", admin=role == "admin")
    clients = _clients(app, auth)
    alice = clients["alice"]
    token = csrf_from(alice.get("/").get_data(as_text=True))
    assert (
        alice.post("/api/devices", json=IOS_PAYLOAD, headers={"X-CSRFToken": token}).status_code
        == 200
    )
    alice.post("/register", json={"n": 1})
    alice.post("/register", json={"n": 2})
    app.test_client().post(auth.endpoint("alice@example.com"), json={"n": 3})
    alice.post(
        "/messages", data={"recipient": "bob@example.com", "body": "hi", "csrf_token": token}
    )
    with app.app_context():
        assert db.session.scalar(sa.select(Device.id)) == 1
        assert db.session.scalar(sa.select(sa.func.max(Capture.id))) == 3
        assert db.session.scalar(sa.select(Message.id)) == 1

    failures = []
    for endpoint, method, path, kwargs, expected in MATRIX:
        if not isinstance(expected, dict):
            expected = dict(zip(ROLES, expected, strict=True))
        for role, status in expected.items():
            got = _request(clients[role], method, path, kwargs)
            if got != status:
                failures.append(
                    f"{role} {method} {path} ({endpoint}): expected {status}, got {got}"
                )
    assert failures == []


def _request(client, method, path, kwargs):
    kwargs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in kwargs.items()}
    token = csrf_from(client.get("/").get_data(as_text=True))
    if "data" in kwargs:
        kwargs["data"]["csrf_token"] = token
    headers = {"X-CSRFToken": token}
    return client.open(path, method=method, headers=headers, **kwargs).status_code


def _set_cookies(response):
    return response.headers.getlist("Set-Cookie")


def test_cookies_httponly_samesite_and_not_secure_over_http(client, auth):
    auth.create()
    response = auth.login(remember=True)
    cookies = _set_cookies(response)
    for name in ("session=", "remember_token="):
        [cookie] = [c for c in cookies if c.startswith(name)]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie


def test_cookies_secure_over_https(app, auth):
    auth.create()
    client = app.test_client()
    https = {"wsgi.url_scheme": "https"}
    token = csrf_from(client.get("/login", environ_overrides=https).get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "email": "alice@example.com",
            "password": PASSWORD,
            "csrf_token": token,
            "remember": "y",
        },
        environ_overrides=https,
        headers={"Referer": "https://localhost/login"},  # CSRF checks it over HTTPS
    )
    for name in ("session=", "remember_token="):
        [cookie] = [c for c in _set_cookies(response) if c.startswith(name)]
        assert "; Secure" in cookie, cookie


@pytest.mark.parametrize("app_settings", [{"TRUSTED_PROXY_HOPS": 1}])
def test_cookies_secure_when_trusted_proxy_says_https(app, auth):
    auth.create()
    client = app.test_client()
    proto = {"X-Forwarded-Proto": "https"}
    token = csrf_from(client.get("/login", headers=proto).get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token},
        headers={**proto, "Referer": "https://localhost/login"},
    )
    [cookie] = [c for c in _set_cookies(response) if c.startswith("session=")]
    assert "; Secure" in cookie


def test_forwarded_proto_ignored_without_trusted_proxy(app, auth):
    auth.create()
    client = app.test_client()
    proto = {"X-Forwarded-Proto": "https"}
    token = csrf_from(client.get("/login", headers=proto).get_data(as_text=True))
    response = client.post(
        "/login", data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token},
        headers=proto,
    )  # fmt: skip
    [cookie] = [c for c in _set_cookies(response) if c.startswith("session=")]
    assert "Secure" not in cookie


GUNICORN_CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def _gunicorn_settings(monkeypatch, **env) -> dict:
    for name in ("TRUSTED_PROXY_HOPS", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_trusts_no_forwarded_header_without_trusted_proxy(monkeypatch):
    from gunicorn.config import Config

    for env in ({}, {"TRUSTED_PROXY_HOPS": "0", "FORWARDED_ALLOW_IPS": "10.0.0.1"}):
        settings = _gunicorn_settings(monkeypatch, **env)
        config = Config()
        for name in ("forwarded_allow_ips", "secure_scheme_headers", "forwarder_headers"):
            config.set(name, settings[name])
        assert config.forwarded_allow_ips == [], env
        assert config.secure_scheme_headers == {}, env  # unix sockets too
        assert config.forwarder_headers == [], env


def test_gunicorn_trusts_the_proxy_when_the_site_does(monkeypatch):
    assert _gunicorn_settings(monkeypatch, TRUSTED_PROXY_HOPS="1")["forwarded_allow_ips"] == (
        "127.0.0.1"
    )
    settings = _gunicorn_settings(
        monkeypatch, TRUSTED_PROXY_HOPS="2", FORWARDED_ALLOW_IPS="10.1.2.3"
    )
    assert settings["forwarded_allow_ips"] == "10.1.2.3"
    assert "secure_scheme_headers" not in settings  # gunicorn's own


def test_gunicorn_from_loopback_ignores_forwarded_proto_by_default():
    """A real gunicorn with the site's defaults: a loopback client that claims
    HTTPS gets no Secure cookie."""
    from bench.common import Site

    site = Site(workers=1, TRUSTED_PROXY_HOPS="0").start()
    try:
        response = requests.get(
            site.url + "/login", headers={"X-Forwarded-Proto": "https"}, timeout=10
        )
        [cookie] = [c for c in response.raw.headers.getlist("Set-Cookie") if "session=" in c]
        assert "Secure" not in cookie
    finally:
        site.stop()


@pytest.mark.parametrize("app_settings", [{"SESSION_COOKIE_SECURE": True}])
def test_secure_setting_forces_secure(client, auth):
    auth.create()
    [cookie] = [c for c in _set_cookies(auth.login()) if c.startswith("session=")]
    assert "; Secure" in cookie


@pytest.mark.parametrize("path", ["/", "/login", "/onesignal", "/receiver", "/healthz", "/no-such"])
def test_security_headers_everywhere(client, path):
    headers = client.get(path).headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_or_style():
    from pathlib import Path

    for template in Path(__file__).resolve().parents[1].joinpath("templates").rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and "<style" not in text, template
        assert " style=" not in text and " onclick=" not in text, template
