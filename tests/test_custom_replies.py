"""Custom replies: an endpoint's owner chooses what the app's POSTs get back
(status, body, content type, a delay of up to 10 s), every request is still
recorded with the reply it got, and bad settings are refused precisely."""

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture, Endpoint
from demo_app.receiver import replies

from .payloads import IOS_PAYLOAD


@pytest.fixture
def endpoint(auth):
    auth.create()
    path = auth.endpoint()
    auth.login()
    return path


def set_reply(auth, client, **fields):
    data = {"status": "503", "content_type": "text/plain", "body": "down for maintenance",
            "delay": "0", "csrf_token": auth.token(), **fields}  # fmt: skip
    return client.post("/endpoints/1/reply", data=data)


def last_capture(app):
    with app.app_context():
        return db.session.scalar(sa.select(Capture).order_by(Capture.id.desc()))


def test_the_app_gets_the_reply_and_the_capture_keeps_it(app, client, auth, endpoint):
    assert set_reply(auth, client).status_code == 302
    page = client.get("/endpoints/1").get_data(as_text=True)
    assert "custom reply" in page and "503" in page
    app_client = app.test_client()
    response = app_client.post(endpoint, json=IOS_PAYLOAD)
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "down for maintenance"
    assert response.headers["Content-Type"] == "text/plain"
    # the owner's text is served from this site: never as a live page
    assert "sandbox" in response.headers.get_all("Content-Security-Policy")[0]
    capture = last_capture(app)
    assert capture.http_status == 503 and capture.parsed == IOS_PAYLOAD
    assert capture.reply == {"status": 503, "content_type": "text/plain",
                             "body": "down for maintenance", "delay_ms": 0}  # fmt: skip
    assert capture.device_id is not None  # still read and judged as usual
    detail = client.get(f"/inspector/{capture.id}").get_data(as_text=True)
    assert "Custom reply" in detail and "down for maintenance" in detail


def test_a_delay_is_waited_once_and_stored(app, client, auth, endpoint, monkeypatch):
    slept = []
    monkeypatch.setattr(replies.time, "sleep", slept.append)
    assert set_reply(auth, client, status="200", body='{"ok": true}',
                     content_type="application/json", delay="2.5").status_code == 302  # fmt: skip
    response = app.test_client().post(endpoint, json=IOS_PAYLOAD)
    assert response.status_code == 200 and response.json == {"ok": True}
    assert slept == [2.5]
    assert last_capture(app).reply["delay_ms"] == 2500


def test_delays_beyond_the_slots_are_skipped_and_said(app, client, auth, endpoint, monkeypatch):
    slept = []
    monkeypatch.setattr(replies.time, "sleep", slept.append)
    set_reply(auth, client, delay="5")
    held = [replies._delays.acquire(blocking=False) for _ in range(replies.DELAYS_AT_ONCE)]
    try:
        assert all(held)
        assert app.test_client().post(endpoint, json=IOS_PAYLOAD).status_code == 503
    finally:
        for _ in held:
            replies._delays.release()
    assert slept == []
    assert last_capture(app).reply["delay_skipped"] is True
    # with a slot free again, the delay is back
    app.test_client().post(endpoint, json=IOS_PAYLOAD)
    assert slept == [5.0]


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"status": "99"}, "200 to 599"),
        ({"status": "600"}, "200 to 599"),
        ({"status": "abc"}, "Give a status code from 200 to 599"),
        ({"status": "204", "body": "x"}, "A 204 reply has no body"),
        ({"content_type": "text/plain\r\nSet-Cookie: a=b"}, "A type like"),
        ({"content_type": ""}, "Give a content type"),
        ({"delay": "10.5"}, "0 to 10 seconds"),
        ({"delay": "-1"}, "0 to 10 seconds"),
        ({"body": "x" * 65537}, "At most 64 KiB"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(app, client, auth, endpoint, fields, error):
    response = set_reply(auth, client, **fields)
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Endpoint, 1).reply_status is None
    assert app.test_client().post(endpoint, json=IOS_PAYLOAD).status_code == 200


def test_what_the_receiver_refuses_keeps_its_own_answer(app, client, auth, endpoint):
    set_reply(auth, client)
    other = app.test_client()
    assert other.get(endpoint).status_code == 405
    app.config["REGISTER_MAX_BYTES"] = 10
    assert other.post(endpoint, json=IOS_PAYLOAD).status_code == 413
    assert last_capture(app).reply is None


def test_answer_normally_again(app, client, auth, endpoint):
    set_reply(auth, client)
    client.post("/endpoints/1/reply/clear", data={"csrf_token": auth.token()})
    response = app.test_client().post(endpoint, json=IOS_PAYLOAD)
    assert response.status_code == 200 and response.json["status"] in ("ok", "warning")
    assert last_capture(app).reply is None


def test_only_the_owner_sets_a_reply(app, client, auth, endpoint):
    auth.logout()
    auth.create("bob@example.com")
    auth.login("bob@example.com")
    assert set_reply(auth, client).status_code == 404
    with app.app_context():
        assert db.session.get(Endpoint, 1).reply_status is None


# Settings and replies that once broke it (an attack pass)


@pytest.mark.parametrize(
    "fields", [{"delay": "sNaN"}, {"delay": "NaN"}, {"content_type": "text/html\n;a=b"},
               {"content_type": "text/html\r\n;a=b"}, {"content_type": "text/html;\ta=b"}],
)  # fmt: skip
def test_reply_settings_that_once_broke_it_are_refused(app, client, auth, endpoint, fields):
    assert set_reply(auth, client, **fields).status_code == 400
    with app.app_context():
        assert db.session.get(Endpoint, 1).reply_status is None
    assert app.test_client().post(endpoint, json=IOS_PAYLOAD).status_code == 200


def test_a_browser_sent_to_a_reply_saves_it_instead_of_showing_it(app, client, auth, endpoint):
    set_reply(auth, client, content_type="text/html", body="<h1>Log in again</h1>")
    response = app.test_client().post(endpoint, data="a=1")
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_one_endpoint_cannot_take_every_delay(app, client, auth, endpoint, monkeypatch):
    slept = []
    monkeypatch.setattr(replies.time, "sleep", slept.append)
    set_reply(auth, client, delay="3")
    assert replies._take_slot(1)  # a delayed reply of this endpoint is in flight
    try:
        app.test_client().post(endpoint, json=IOS_PAYLOAD)
        assert last_capture(app).reply["delay_skipped"] is True
        # another endpoint still gets its delay
        other = auth.endpoint(name="Other")
        with app.app_context():
            other_id = db.session.scalar(sa.select(Endpoint.id).where(Endpoint.name == "Other"))
        client.post(f"/endpoints/{other_id}/reply", data={
            "status": "500", "content_type": "text/plain", "body": "x", "delay": "1",
            "csrf_token": auth.token()})  # fmt: skip
        app.test_client().post(other, json=IOS_PAYLOAD)
        assert slept == [1.0]
    finally:
        replies._give_slot(1)
