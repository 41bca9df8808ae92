"""Forwarding an endpoint's captures to its owner's backend: a real HTTP
backend on loopback (FORWARD_ALLOW_PRIVATE on, as an operator would set it for
a backend on the same network), and the refusals with the setting off."""

from __future__ import annotations

import base64
import json
import socket
import time

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture

from .payloads import IOS_PAYLOAD


@pytest.fixture
def app_settings():
    return {"FORWARD_ALLOW_PRIVATE": True, "FORWARD_TIMEOUT": 1.0}


def _forward_to(client, auth, url, answer="site", endpoint_id=1):
    return client.post(
        f"/endpoints/{endpoint_id}/forward",
        data={"url": url, "answer": answer, "csrf_token": auth.token()},
    )


def _capture(app, capture_id) -> Capture:
    with app.app_context():
        capture = db.session.get(Capture, capture_id)
        db.session.expunge(capture)
        return capture


@pytest.fixture
def owner(client, auth):
    auth.create()
    path = auth.endpoint()
    auth.login()
    return path


def test_each_capture_is_forwarded_and_keeps_the_backends_answer(client, app, auth, owner,
                                                                 backend):  # fmt: skip
    assert _forward_to(client, auth, backend.url).status_code == 302
    client.set_cookie("theme", "dark")  # the app's own cookie goes along; the site's do not
    sent = client.post(owner + "/v2/devices?app=ios", json=IOS_PAYLOAD,
                       headers={"Authorization": "Bearer app-token", "X-Trace": "1"})  # fmt: skip
    # The app gets this site's answer, as chosen.
    assert sent.status_code == 200 and sent.json["capture_id"]
    [got] = backend.requests
    assert got["method"] == "POST" and got["path"] == "/api/push/v2/devices?app=ios"
    assert json.loads(got["body"]) == IOS_PAYLOAD
    headers = {k.lower(): v for k, v in got["headers"]}
    assert headers["authorization"] == "Bearer app-token" and headers["x-trace"] == "1"
    assert headers["host"] == backend.url.split("/")[2]  # the backend's, not this site's
    assert headers["cookie"] == "theme=dark"  # no session cookie of this site
    capture = _capture(app, sent.json["capture_id"])
    [exchange] = capture.forwards
    assert exchange["status"] == 201 and exchange["error"] is None
    assert base64.b64decode(exchange["body_b64"]) == b'{"registered": true}'
    assert ["X-Backend", "yes"] in exchange["headers"] and exchange["ms"] > 0
    assert capture.http_status == 200 and not exchange["answered_app"]
    page = client.get(f"/inspector/{capture.id}").get_data(as_text=True)
    assert "Forwarded to" in page and "&#34;registered&#34;: true" in page


def test_the_app_can_get_the_backends_answer(client, app, auth, owner, backend):
    backend.status, backend.body = 409, b"<script>alert(1)</script>"
    _forward_to(client, auth, backend.url, answer="backend")
    sent = client.post(owner, json=IOS_PAYLOAD)
    assert sent.status_code == 409 and sent.data == b"<script>alert(1)</script>"
    assert sent.headers["X-Backend"] == "yes"
    # never a cookie for this site, never a page of this site
    assert "Set-Cookie" not in sent.headers or "evil" not in sent.headers["Set-Cookie"]
    assert sent.headers["Content-Security-Policy"].startswith("sandbox")
    with app.app_context():
        capture = db.session.scalar(sa.select(Capture))
        assert capture.http_status == 409 and capture.forwards[0]["answered_app"]


def test_a_backend_that_is_down_loses_nothing(client, app, auth, owner):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    _forward_to(client, auth, f"http://127.0.0.1:{port}/", answer="backend")
    sent = client.post(owner, json=IOS_PAYLOAD)
    # no answer to hand over: the app gets this site's own
    assert sent.status_code == 200
    [exchange] = _capture(app, sent.json["capture_id"]).forwards
    assert exchange["status"] is None and "refused the connection" in exchange["error"]


def test_a_slow_backend_holds_the_request_no_longer_than_the_timeout(client, app, auth, owner,
                                                                    backend):  # fmt: skip
    backend.delay = 3.0
    _forward_to(client, auth, backend.url)
    started = time.monotonic()
    sent = client.post(owner, json=IOS_PAYLOAD)
    assert time.monotonic() - started < 2.5  # FORWARD_TIMEOUT is 1 s here
    assert sent.status_code == 200
    [exchange] = _capture(app, sent.json["capture_id"]).forwards
    assert "did not answer within 1 s" in exchange["error"]


def test_replay_sends_the_capture_again_and_shows_the_new_answer(client, app, auth, owner,
                                                                backend):  # fmt: skip
    _forward_to(client, auth, backend.url)
    capture_id = client.post(owner + "/again", json=IOS_PAYLOAD).json["capture_id"]
    backend.status = 500
    replayed = client.post(f"/inspector/{capture_id}/replay", data={"csrf_token": auth.token()})
    assert replayed.status_code == 302
    assert [r["path"] for r in backend.requests] == ["/api/push/again"] * 2
    assert backend.requests[0]["body"] == backend.requests[1]["body"]
    forwards = _capture(app, capture_id).forwards
    assert [f["status"] for f in forwards] == [201, 500] and forwards[1]["replay"]
    page = client.get(f"/inspector/{capture_id}").get_data(as_text=True)
    assert "Replayed to" in page and "your backend answered 500" in page


def test_only_the_owner_replays(client, app, auth, backend):
    auth.create()
    auth.create("bob@example.com")
    auth.create("eve@example.com")
    path = auth.endpoint(members=["bob@example.com"])
    auth.login()
    _forward_to(client, auth, backend.url)
    capture_id = client.post(path, json=IOS_PAYLOAD).json["capture_id"]
    auth.logout()
    for who, status in (("bob@example.com", 403), ("eve@example.com", 404)):
        auth.login(who)
        answer = client.post(f"/inspector/{capture_id}/replay", data={"csrf_token": auth.token()})
        assert answer.status_code == status, who
        auth.logout()
    assert len(backend.requests) == 1


@pytest.mark.parametrize("app_settings", [{"FORWARD_ALLOW_PRIVATE": False}])
@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data",
     "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://192.168.1.1/", "ftp://example.com/",
     "http://user:pw@example.com/", "javascript:alert(1)"],
)  # fmt: skip
def test_private_and_odd_targets_are_refused(client, auth, owner, url):
    refused = _forward_to(client, auth, url)
    assert refused.status_code == 400
    with client.application.app_context():
        assert db.session.scalar(sa.select(Capture.id)) is None
        from demo_app.models import Endpoint

        assert db.session.scalar(sa.select(Endpoint.forward_url)) is None


@pytest.mark.parametrize("app_settings", [{"FORWARD_ALLOW_PRIVATE": False}])
def test_a_name_that_resolves_to_loopback_is_refused_when_sending(client, app, auth, owner,
                                                                 backend):  # fmt: skip
    """`localhost` passes the form (a name), but its address is checked when
    sending, and the connection would go to that checked address only."""
    url = backend.url.replace("127.0.0.1", "localhost")
    assert _forward_to(client, auth, url).status_code == 302
    sent = client.post(owner, json=IOS_PAYLOAD)
    assert sent.status_code == 200 and backend.requests == []
    [exchange] = _capture(app, sent.json["capture_id"]).forwards
    assert "non-public address" in exchange["error"]
