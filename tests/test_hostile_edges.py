"""Hostile input found by an attack pass: each once gave a 500 or lost a
request; now a precise 4xx, and the receiver still records what it was sent."""

import io

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture, Endpoint
from demo_app.receiver import replies

from .payloads import IOS_PAYLOAD


def last_capture(app):
    with app.app_context():
        return db.session.scalar(sa.select(Capture).order_by(Capture.id.desc()))


def test_a_number_python_will_not_read_is_a_400_and_kept(client, app):
    body = '{"a": ' + "9" * 5000 + "}"
    response = client.post("/register", data=body, content_type="application/json")
    assert response.status_code == 400 and "Malformed JSON" in response.json["error"]
    capture = last_capture(app)
    assert capture.body == body.encode() and capture.status == "parse_error"


class BrokenStream(io.RawIOBase):
    """What a server hands the app for a malformed chunked body: a read fails."""

    def readable(self):
        return True

    def readinto(self, buffer):
        raise OSError("Invalid chunk header")


def test_a_body_that_cannot_be_read_is_a_400_and_kept(client, app):
    response = client.post(
        "/register",
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input": BrokenStream(), "wsgi.input_terminated": True},
    )
    assert response.status_code == 400 and "could not be read" in response.json["error"]
    capture = last_capture(app)
    assert capture.status == "rejected" and capture.http_status == 400


@pytest.mark.parametrize(
    "path",
    ["/inspector?q=%00", "/inspector/rows?after=0&q=%00", "/api/captures?q=%00%00%00",
     "/api/messages/recipients?q=%00", "/inspector/compare?pick=%C2%B2&pick=1"],
)  # fmt: skip
def test_nul_and_odd_digits_in_arguments_are_a_400(client, auth, path):
    auth.create()
    auth.login()
    assert client.get(path).status_code in (400, 404)


def test_nul_in_a_login_form_is_a_400(client, auth):
    data = {"email": "a\x00@example.com", "password": "x", "csrf_token": auth.token()}
    assert client.post("/login", data=data).status_code == 400


def test_the_receiver_still_records_a_nul(client, app):
    assert client.post("/register?x=%00", json=IOS_PAYLOAD).status_code == 200
    assert last_capture(app).query_string == "x=%00"


@pytest.fixture
def endpoint(auth):
    auth.create()
    path = auth.endpoint()
    auth.login()
    return path


def _reply(auth, client, **fields):
    data = {"status": "503", "content_type": "text/plain", "body": "down", "delay": "0",
            "csrf_token": auth.token(), **fields}  # fmt: skip
    return client.post("/endpoints/1/reply", data=data)


@pytest.mark.parametrize(
    "fields", [{"delay": "sNaN"}, {"delay": "NaN"}, {"content_type": "text/html\n;a=b"},
               {"content_type": "text/html\r\n;a=b"}, {"content_type": "text/html;\ta=b"}],
)  # fmt: skip
def test_reply_settings_that_once_broke_it_are_refused(app, client, auth, endpoint, fields):
    assert _reply(auth, client, **fields).status_code == 400
    with app.app_context():
        assert db.session.get(Endpoint, 1).reply_status is None
    assert app.test_client().post(endpoint, json=IOS_PAYLOAD).status_code == 200


def test_a_browser_sent_to_a_reply_saves_it_instead_of_showing_it(app, client, auth, endpoint):
    _reply(auth, client, content_type="text/html", body="<h1>Log in again</h1>")
    response = app.test_client().post(endpoint, data="a=1")
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_one_endpoint_cannot_take_every_delay(app, client, auth, endpoint, monkeypatch):
    slept = []
    monkeypatch.setattr(replies.time, "sleep", slept.append)
    _reply(auth, client, delay="3")
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


def test_private_captures_are_not_cached(client, auth):
    auth.create()
    auth.login()
    client.post("/register", json=IOS_PAYLOAD)
    for path in ("/api/captures", "/api/captures/1", "/api/captures.ndjson", "/inspector/1"):
        assert "no-store" in client.get(path).headers["Cache-Control"], path
