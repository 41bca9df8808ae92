"""Hostile input found by an attack pass: each once gave a 500 or lost a
request; now a precise 4xx, and the receiver still records what it was sent."""

import io

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture

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


def test_private_captures_are_not_cached(client, auth):
    auth.create()
    auth.login()
    client.post("/register", json=IOS_PAYLOAD)
    for path in ("/api/captures", "/api/captures/1", "/api/captures.ndjson", "/inspector/1"):
        assert "no-store" in client.get(path).headers["Cache-Control"], path
