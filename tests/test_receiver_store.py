"""The receiver stores each capture in its own request: the answer names a
capture that is already there, a refused row costs only its own request, the
per-address count is shared through the database, and only a request the app
makes is put on the logged-in user's account."""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from demo_app import throttle
from demo_app.extensions import db
from demo_app.models import Capture, Endpoint, UserDevice
from demo_app.receiver.capture import CAPTURE_COLUMNS, Received
from demo_app.receiver.capture_log import LOG_FIELDS, read_log

from .payloads import IOS_PAYLOAD

PLAYER = IOS_PAYLOAD["oneSignalUserId"].lower()


def _count(app, model=Capture) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_answer_names_a_capture_already_stored(client, app, auth):
    auth.create()
    auth.login()
    answer = client.post("/register", json=IOS_PAYLOAD)
    assert answer.status_code == 200
    capture_id = answer.json["capture_id"]
    assert answer.json["inspect"] == f"/inspector/{capture_id}"
    assert answer.json["user"] == "alice@example.com"
    assert answer.json["device"] == {"subscription_id": PLAYER, "linked": True}
    assert "capture_key" not in answer.json
    with app.app_context():
        capture = db.session.get(Capture, capture_id)
        assert capture.parsed == IOS_PAYLOAD and capture.device_id is not None
        link = db.session.scalar(sa.select(UserDevice))
        assert link.device_id == capture.device_id and link.learnt_via == "registration"
    # The inspector link opens it at once.
    page = client.get(answer.json["inspect"])
    assert page.status_code == 200 and f"#{capture_id}" in page.get_data(as_text=True)


def test_refused_requests_name_their_stored_capture_too(client, app):
    bad = client.post("/register", data=b"{oops", content_type="application/json")
    assert bad.status_code == 400 and "Malformed JSON" in bad.json["error"]
    get = client.get("/register")
    assert get.status_code == 405 and get.headers["Allow"] == "POST"
    with app.app_context():
        assert db.session.get(Capture, bad.json["capture_id"]).status == "parse_error"
        assert db.session.get(Capture, get.json["capture_id"]).http_status == 405


def test_concurrent_requests_each_keep_their_own_capture(app):
    def post(i):
        return app.test_client().post("/register/many", json={**IOS_PAYLOAD, "n": i})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(24)))
    assert [a.status_code for a in answers] == [200] * 24
    with app.app_context():
        stored = {
            c.id: c.parsed["n"]
            for c in db.session.scalars(sa.select(Capture).where(Capture.label == "many"))
        }
    assert {a.json["capture_id"]: i for i, a in enumerate(answers)} == stored


def test_a_row_the_database_refuses_costs_only_its_own_request(client, app, auth):
    """The endpoint a request names is deleted in the middle of its write:
    the database refuses the capture, which goes to the capture log; the
    next request is stored as usual."""
    auth.create()
    path = auth.endpoint()

    once = [True]

    def delete_endpoint_first(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO captures") and once:
            once.clear()
            cursor.execute("DELETE FROM endpoints")

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", delete_endpoint_first)
    refused = client.post(path, json=IOS_PAYLOAD)
    assert not once  # the endpoint was deleted mid-write
    assert refused.status_code == 202 and refused.json["stored"] == "log only"
    [line] = list(read_log(app.config["CAPTURE_LOG"]))
    assert line["path"] == path and json.loads(line["body"]) == IOS_PAYLOAD
    # Nothing of the refused request stayed: its endpoint is back (the whole
    # transaction was rolled back) and takes the next request.
    assert _count(app, Endpoint) == 1 and _count(app) == 0
    assert client.post(path, json=IOS_PAYLOAD).status_code == 200
    assert _count(app) == 1


def test_the_shared_count_adds_every_process_and_starts_again_each_minute(app):
    window = int(time.time() // 60) * 60
    with app.app_context(), db.engine.begin() as conn:
        assert throttle.add_requests(conn, "192.0.2.1", 2, window) == 2
        assert throttle.add_requests(conn, "192.0.2.1", 3, window) == 5
        assert throttle.add_requests(conn, "192.0.2.2", 1, window) == 1
        assert throttle.add_requests(conn, "192.0.2.1", 1, window + 60) == 1


@pytest.mark.parametrize("app_settings", [{"REGISTER_LIMIT_PER_MINUTE": 3}])
def test_the_limit_counts_what_other_hosts_took(client, app, monkeypatch):
    """Two requests counted by another worker or host this minute leave one."""
    now = 1_000_040.0  # 20 s into its minute
    monkeypatch.setattr(time, "time", lambda: now)
    with app.app_context(), db.engine.begin() as conn:
        throttle.add_requests(conn, "127.0.0.1", 2, int(now // 60) * 60)
    assert client.post("/register", json={}).status_code == 200
    over = client.post("/register", json={})
    assert over.status_code == 429 and over.headers["Retry-After"] == "40"
    assert _count(app) == 1


def test_the_capture_shape_is_the_models(app):
    """One list of columns: the model's. `Received` has a field for each, and
    a capture log line holds all but the body (kept in base64) and the device
    row of the database that could not take it."""
    assert set(CAPTURE_COLUMNS) == {c.name for c in Capture.__table__.columns} - {"id"}
    assert set(CAPTURE_COLUMNS) <= {f.name for f in dataclasses.fields(Received)}
    assert set(CAPTURE_COLUMNS) - set(LOG_FIELDS) == {"body", "device_id"}


# Issue: a page on another site navigated a logged-in visitor's browser to an
# attacker's endpoint, and the capture carried the visitor's account.
CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}


@pytest.mark.parametrize(
    "method,headers",
    [
        ("GET", CROSS_SITE),  # location = ..., a link, a popup
        ("GET", {}),  # a browser too old to say where it came from
        ("POST", CROSS_SITE),  # a form on another site
        ("POST", {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"}),  # a sibling host
    ],
)
def test_a_request_from_another_site_is_not_put_on_the_visitors_account(
    client, app, auth, method, headers
):
    auth.create()
    auth.create("mallory@example.com")
    path = auth.endpoint(owner="mallory@example.com")
    auth.login()  # the visitor, Alice, is logged in on this browser
    answer = client.open(path + "?x", method=method, json=IOS_PAYLOAD, headers=headers)
    with app.app_context():
        capture = db.session.get(Capture, answer.json["capture_id"])
        assert capture.user_id is None
        assert _count(app, UserDevice) == 0  # no device put on her account
    if method == "POST":
        assert answer.json["user"] == "anonymous"
    # Mallory's inspector shows no trace of Alice's account.
    auth.logout()
    auth.login("mallory@example.com")
    shown = client.get(f"/inspector/{capture.id}").get_data(as_text=True)
    assert "alice@example.com" not in shown
    # and the capture is not in Alice's own list of captures
    auth.logout()
    auth.login()
    assert client.get("/api/captures").json["captures"] == []


@pytest.mark.parametrize(
    "headers",
    [
        {},  # the app's native HTTP client sends no Sec-Fetch headers
        {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},  # a page of this site
    ],
)
def test_a_post_the_app_makes_is_put_on_the_account(client, app, auth, headers):
    auth.create()
    auth.login()
    answer = client.post("/register", json=IOS_PAYLOAD, headers=headers)
    assert answer.json["user"] == "alice@example.com"
    assert answer.json["device"]["linked"] is True
    assert _count(app, UserDevice) == 1
