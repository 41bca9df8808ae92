"""Migration 0009: stored captures that were "ok" with problems become
"warning"; "ok" with only harmless notes stays "ok"."""

import json

import sqlalchemy as sa
from flask_migrate import upgrade

from demo_app.extensions import db

from .conftest import empty_database

NOTE = (
    "Whether this iPhone can receive pushes is unknown here: the iOS app's registration POST "
    "says oneSignalSubscribed: true whatever OneSignal says."
)
PROBLEM = "No GoNative / Median registration fields (oneSignalUserId, subscription, ...) found."


def test_stored_ok_captures_with_problems_become_warning(app):
    with app.app_context():
        empty_database()
        upgrade(revision="0007")
        rows = [
            (1, "ok", []),
            (2, "ok", [PROBLEM]),
            (3, "ok", [NOTE]),
            (4, "ok", [NOTE, PROBLEM]),
            (5, "parse_error", ["Malformed JSON: ..."]),
        ]
        with db.engine.begin() as conn:
            for capture_id, status, problems in rows:
                conn.execute(
                    sa.text(
                        "INSERT INTO captures (id, received_at, method, path, query_string,"
                        " headers, cookies, body_size, status, http_status, problems,"
                        " search_text) VALUES (:id, '2026-11-30', 'POST', '/register', '',"
                        " '[]', '[]', 0, :status, 200, :problems, :text)"
                    ),
                    {"id": capture_id, "status": status, "problems": json.dumps(problems),
                     "text": f"post /register needle-{capture_id}"},
                )  # fmt: skip
        upgrade()
        with db.engine.connect() as conn:
            statuses = dict(conn.execute(sa.text("SELECT id, status FROM captures")).all())
        assert statuses == {1: "ok", 2: "warning", 3: "ok", 4: "warning", 5: "parse_error"}
