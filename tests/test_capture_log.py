"""The fallback capture log: written only when the database fails, masked,
bounded by retention, and never a way to bring deleted captures back."""

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from demo_app.extensions import db
from demo_app.models import Capture

from .helpers import captures_table_away
from .payloads import IOS_PAYLOAD


def _log_lines(app) -> list[dict]:
    path = Path(app.config["CAPTURE_LOG"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _bodies(app) -> list:
    with app.app_context():
        return [c.body for c in db.session.scalars(sa.select(Capture).order_by(Capture.id))]


def test_stored_captures_are_not_copied_to_the_log(client, app):
    """The log is a fallback, not a second copy that retention never reaches."""
    for _ in range(5):
        assert (
            client.post("/register", data=b"x" * 100_000, content_type="text/plain").status_code
            == 200
        )
    assert _log_lines(app) == []
    assert len(_bodies(app)) == 5


def test_log_line_when_the_database_fails_is_masked(client, auth, app):
    auth.create()
    auth.login()
    raw = bytes(range(256))
    with captures_table_away(app):
        response = client.post(
            "/register", json=IOS_PAYLOAD, headers={"Authorization": "Bearer s3cret"}
        )
        binary = client.post("/register", data=raw, content_type="application/octet-stream")
    assert response.status_code == binary.status_code == 202
    text = Path(app.config["CAPTURE_LOG"]).read_text()
    assert "s3cret" not in text and client.get_cookie("session").value not in text
    lines = _log_lines(app)
    assert len(lines) == 2
    assert base64.b64decode(lines[1]["body_b64"]) == raw


@pytest.mark.parametrize("app_settings", [{"CAPTURE_LOG_MAX_BYTES": 4000}])
def test_log_is_rotated_at_its_size_limit(client, app):
    with captures_table_away(app):
        for _ in range(40):
            client.post("/register", data=b"y" * 500, content_type="text/plain")
    log = Path(app.config["CAPTURE_LOG"])
    rotated = Path(str(log) + ".1")
    assert rotated.exists()
    # neither file passes the limit: never more than twice it in all
    assert 0 < log.stat().st_size <= 4000 and 2000 < rotated.stat().st_size <= 4000


def test_import_loads_the_log_once_and_removes_it(client, app, runner):
    with captures_table_away(app):
        for i in range(3):
            client.post("/register", json={"n": i})
    assert "Added 3 of 3" in runner.invoke(args=["captures", "import-log"]).output
    assert not Path(app.config["CAPTURE_LOG"]).exists()
    assert "Added 0 of 0" in runner.invoke(args=["captures", "import-log"]).output
    assert sorted(json.loads(b)["n"] for b in _bodies(app)) == [0, 1, 2]


def test_import_never_restores_a_deleted_capture(client, auth, app, runner):
    """A capture both logged and stored (a commit that failed late) and then
    deleted by an admin stays deleted."""
    auth.create("admin@example.com", admin=True)
    auth.login("admin@example.com")
    client.post("/register", json={"n": "secret"})
    with app.app_context():
        capture = db.session.get(Capture, 1)
        line = {c: getattr(capture, c) for c in ("method", "path", "log_key", "body_size")}
    log = Path(app.config["CAPTURE_LOG"])
    log.write_text(json.dumps({
        **line, "received_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
        "headers": [], "cookies": [], "problems": [], "status": "ok", "http_status": 200,
        "body_b64": base64.b64encode(b'{"n": "secret"}').decode(),
    }) + "\n")  # fmt: skip
    assert client.post("/inspector/1/delete", data={"csrf_token": auth.token()}).status_code == 302
    assert "Added 0 of 1" in runner.invoke(args=["captures", "import-log"]).output
    assert _bodies(app) == []


def test_import_never_restores_a_deleted_endpoints_captures(client, auth, app, runner):
    auth.create()
    auth.login()
    endpoint = auth.endpoint("alice@example.com")
    with captures_table_away(app):
        assert client.post(endpoint, json={"n": 1}).status_code == 202
    with app.app_context():
        from demo_app.models import Endpoint

        endpoint_id = db.session.scalar(sa.select(Endpoint.id))
    response = client.post(f"/endpoints/{endpoint_id}/delete", data={"csrf_token": auth.token()})
    assert response.status_code == 302
    assert "Added 0 of 1" in runner.invoke(args=["captures", "import-log"]).output
    assert _bodies(app) == []


@pytest.mark.parametrize("app_settings", [{"CAPTURE_MAX_DAYS": 7}])
def test_retention_applies_to_the_log(client, app, runner):
    with captures_table_away(app):
        for i in range(6):
            client.post("/register", json={"n": i})
    log = Path(app.config["CAPTURE_LOG"])
    lines = log.read_text().splitlines()
    old = json.loads(lines[0])
    old["received_at"] = "2000-01-01T00:00:00"
    log.write_text("\n".join([json.dumps(old), *lines[1:]]) + "\n")

    output = runner.invoke(args=["captures", "prune", "--max-count", "3"]).output
    assert "3 lines from the capture log" in output
    kept = [json.loads(base64.b64decode(line["body_b64"]))["n"] for line in _log_lines(app)]
    assert kept == [3, 4, 5]  # the old one and the oldest beyond the newest 3

    # an import skips what is older than CAPTURE_MAX_DAYS as well
    lines = log.read_text().splitlines()
    log.write_text("\n".join([json.dumps(old), *lines]) + "\n")
    assert "Added 3 of 4" in runner.invoke(args=["captures", "import-log"]).output


def test_log_file_is_private(client, app):
    with captures_table_away(app):
        client.post("/register", json={})
    assert Path(app.config["CAPTURE_LOG"]).stat().st_mode & 0o777 == 0o600


def test_import_never_hands_a_deleted_endpoints_captures_to_a_new_one(client, auth, app, runner):
    """SQLite gives a new endpoint the id of a deleted one: the logged capture
    of Alice's deleted endpoint must not land in Bob's new endpoint."""
    auth.create()
    auth.create("bob@example.com")
    auth.login()
    endpoint = auth.endpoint("alice@example.com")
    with captures_table_away(app):
        assert client.post(endpoint, json={"secret": "alice-private"}).status_code == 202
    assert client.post("/endpoints/1/delete", data={"csrf_token": auth.token()}).status_code == 302
    auth.logout()
    auth.login("bob@example.com")
    client.post("/endpoints", data={"name": "Bob", "csrf_token": auth.token()})
    assert "Added 0 of 1" in runner.invoke(args=["captures", "import-log"]).output
    assert "alice-private" not in client.get("/api/captures").get_data(as_text=True)
