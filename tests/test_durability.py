"""No capture is lost when the database is down or fails mid-write, and a
PostgreSQL connection cut between requests costs no failed request."""

import hashlib
import json

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from demo_app.extensions import db
from demo_app.models import Capture, Device
from demo_app.receiver.capture_log import import_log

from .conftest import make_app, reset_schema
from .helpers import captures_table_away


def test_database_unreachable_answers_202_and_keeps_log(tmp_path):
    down = make_app(
        "postgresql+psycopg://nobody@127.0.0.1:9/none",
        tmp_path / "down",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
    )
    client = down.test_client()
    response = client.post("/register/outage", json={"oneSignalUserId": "x", "n": 1})
    assert response.status_code == 202
    assert response.json["stored"] == "log only" and "import-log" in response.json["message"]
    # A session cookie of a user the database cannot load: still no 500.
    signer = URLSafeTimedSerializer(
        "test-secret",
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    client.set_cookie("session", signer.dumps({"_user_id": "1", "_fresh": True}))
    assert (
        client.post(
            "/register", data=b"\x00raw", content_type="application/octet-stream"
        ).status_code
        == 202
    )
    # A malformed body still gets its precise 4xx, saying where it was kept.
    bad = client.post("/register", data=b"{oops", content_type="application/json")
    assert bad.status_code == 400 and bad.json["stored"] == "log only"
    assert "Malformed JSON" in bad.json["error"]
    assert client.get("/healthz").status_code == 503

    working = make_app(f"sqlite:///{tmp_path}/ok.db", tmp_path / "ok")
    reset_schema(working)
    with working.app_context():
        assert import_log(down.config["CAPTURE_LOG"]) == (3, 3)
        # the log was loaded and removed: a second run finds nothing to add
        assert import_log(down.config["CAPTURE_LOG"]) == (0, 0)
        stored = db.session.scalars(sa.select(Capture).order_by(Capture.id)).all()
        assert json.loads(stored[0].body)["n"] == 1 and stored[0].label == "outage"
        assert stored[1].body == b"\x00raw"


def test_write_failing_mid_request_keeps_log_then_imports(app, client, runner):
    # The table the capture goes into is gone for one request: the device
    # upsert before it works, the INSERT fails, the transaction rolls back.
    with captures_table_away(app):
        response = client.post(
            "/register",
            json={
                "n": "during the fault",
                "oneSignalUserId": "1a2b3c4d-0000-4000-8000-00000000abcd",
            },
        )
    assert response.status_code == 202
    assert client.post("/register", json={"n": "after"}).status_code == 200
    # only the capture the database did not take was logged
    assert "Added 1 of 1" in runner.invoke(args=["captures", "import-log"]).output
    assert "Added 0 of 0" in runner.invoke(args=["captures", "import-log"]).output
    with app.app_context():
        bodies = sorted(json.loads(c.body)["n"] for c in db.session.scalars(sa.select(Capture)))
    assert bodies == ["after", "during the fault"]
    with app.app_context():
        # the device upserted before the failing INSERT was rolled back with it
        assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 0


@pytest.mark.parametrize("db_kind", ["postgresql"])  # pre-ping is a PostgreSQL setting
def test_postgres_connections_cut_between_requests(app, client, auth, db_kind):
    auth.create()
    auth.login()
    assert client.get("/profile").status_code == 200
    with app.app_context():
        # A connection of its own, outside the app's pool, does the cutting.
        outsider = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
        with outsider.connect() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        outsider.dispose()
        assert killed >= 1  # the pooled connection of the previous request
    assert client.get("/profile").status_code == 200
    assert client.post("/register", json={"after": "restart"}).status_code == 200
