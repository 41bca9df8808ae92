"""The inspector's text search on its full-text index: the same results as the
plain scan it replaces, an index kept in step with inserts and deletes, and a
receiver that never writes to it."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from demo_app.extensions import db
from demo_app.inspector import search
from demo_app.models import Capture
from demo_app.receiver.store import delete_captures, prune

from .conftest import empty_database
from .payloads import IOS_PAYLOAD, V5_PAYLOAD


@pytest.fixture
def alice(auth):
    auth.create("alice@example.com")
    auth.create("bob@example.com")
    auth.create("admin@example.com", admin=True)
    auth.login("alice@example.com")
    return auth


BODIES = [
    {"note": "Ünïcode façade", "code": "ABC-123"},
    {"quote": 'say "hi" now', "pct": "100% off_sale"},
    {"path": "C:\\temp\\x", "emoji": "🚀 launch"},
    IOS_PAYLOAD,
    V5_PAYLOAD,
]
SEARCHES = [
    "abc-123", "ABC-123", "façade", "ünïcode", '"hi"', "say \"hi", "100%", "off_sale", "f_s",
    "c:\\temp", "🚀 la", "io.example.app", "post", "content-type: application/json",
    "zz-not-there", "ab", "%", "_", "1a2b3c4d-0000", "json\n", "ios",
]  # fmt: skip


def _found(client, q: str, **args) -> list[int]:
    query = {"q": q, "limit": 500, **args}
    return [c["id"] for c in client.get("/api/captures", query_string=query).json["captures"]]


def _shown(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="capture" data-id="(\d+)"', page)]


def _scan(app, q: str, visible: set[int] | None = None) -> list[int]:
    """What the search must find: every capture whose search text holds q."""
    with app.app_context():
        rows = db.session.execute(sa.select(Capture.id, Capture.search_text)).all()
    return sorted(i for i, text in rows if q.lower() in text and (visible is None or i in visible))


def _post_all(client, app):
    anonymous = app.test_client()
    for n, body in enumerate(BODIES):
        raw = json.dumps(body, ensure_ascii=False).encode()  # UTF-8 as apps send it
        client.post(f"/register/s{n}?k={n}", data=raw, content_type="application/json")
        anonymous.post("/register/anon", data=raw, content_type="application/json")


def test_search_finds_exactly_what_the_scan_found(client, alice, app):
    _post_all(client, app)
    mine = set(range(1, 11, 2))  # Alice's own captures
    for q in SEARCHES:
        assert _found(client, q) == _scan(app, q, mine), q
    alice.logout()
    alice.login("admin@example.com")
    for q in SEARCHES:
        assert _found(client, q) == _scan(app, q), q
    # the page's list, newest first, says the same
    page = client.get("/inspector", query_string={"q": "façade"}).get_data(as_text=True)
    assert _shown(page) == [2, 1]


def test_new_and_deleted_captures_are_found_or_gone_at_once(client, alice, app):
    alice.logout()
    alice.login("admin@example.com")
    for i in range(6):
        client.post("/register", json={"marker": f"needle-{i}"})
    assert _found(client, "needle-") == [1, 2, 3, 4, 5, 6]
    client.post("/register", json={"marker": "needle-late"})
    assert _found(client, "needle-late") == [7]  # indexed by the search itself
    with app.app_context():
        delete_captures(Capture.id == 2)  # an admin's delete
        db.session.commit()
        prune(max_count=4, max_days=0)  # retention: 1 and 3 go
    assert _found(client, "needle-") == [4, 5, 6, 7]
    # the newest deleted, and its id handed out again (SQLite does): the new
    # capture is found under it, the old one is not
    with app.app_context():
        delete_captures(Capture.id == 7)
        db.session.commit()
    client.post("/register", json={"marker": "needle-reborn"})
    assert _found(client, "needle-late") == []
    assert _found(client, "needle-reborn") == [_scan(app, "needle-reborn")[0]]
    _index_is_sound(app)


def test_a_deleted_endpoint_takes_its_captures_out_of_the_search(client, alice, app):
    from demo_app.endpoints import service

    path = alice.endpoint("alice@example.com", name="Gone")
    client.post(path, json={"marker": "endpoint-needle"})
    client.post("/register", json={"marker": "endpoint-needle too"})
    assert _found(client, "endpoint-needle") == [1, 2]
    with app.app_context():
        endpoint = service.endpoints_of(1)[0]
        service.delete(endpoint)
    assert _found(client, "endpoint-needle") == [2]
    _index_is_sound(app)


def _index_is_sound(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # FTS5 compares the index with the captures it was built from
            with db.engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO captures_fts (captures_fts) VALUES ('integrity-check')"
                )


def test_paging_and_tailing_a_search_match_the_scan(client, alice, app, monkeypatch):
    """Many matches, pages of 50 and small index chunks: the same ids in the
    same order as the scan, at every page and from every `after`."""
    monkeypatch.setattr(search, "CHUNKS", (3, 7))  # forces every path, the fallback too
    monkeypatch.setattr(search, "CATCH_UP_MAX", 40)  # and an index that lags behind
    anonymous = app.test_client()
    for i in range(130):
        (client if i % 4 == 0 else anonymous).post("/register", json={"i": i, "w": "common"})
    expected = _scan(app, "common", visible=set(range(1, 131, 4)))
    assert _found(client, "common") == expected
    assert _found(client, "common", after=expected[10]) == expected[11:]
    assert _found(client, "common", limit=5) == expected[:5]
    alice.logout()
    alice.login("admin@example.com")
    page = client.get("/inspector?q=common").get_data(as_text=True)
    assert _shown(page) == list(range(130, 80, -1))
    older = client.get("/inspector?q=common&before=81").get_data(as_text=True)
    assert _shown(older) == list(range(80, 30, -1))


def test_a_burst_is_indexed_a_bounded_part_per_search(client, alice, app, monkeypatch):
    """A search indexes at most CATCH_UP_MAX captures; those above the index
    are scanned, so every search is still complete."""
    monkeypatch.setattr(search, "CATCH_UP_MAX", 2)
    for i in range(7):
        client.post("/register", json={"burst": f"wave-{i}"})
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"

    def mark():
        with app.app_context(), db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT last_id FROM captures_fts_state").scalar()

    for indexed in (2, 4, 6, 7, 7):
        assert _found(client, "wave-") == list(range(1, 8))
        if sqlite:
            assert mark() == indexed  # two more each search, the rest scanned
    assert _shown(client.get("/inspector?q=wave-").get_data(as_text=True)) == list(range(7, 0, -1))
    assert _found(client, "wave-3") == [4] and _found(client, "wave-", after=5) == [6, 7]
    _index_is_sound(app)


def test_the_receiver_never_writes_to_the_index(client, alice, app):
    for i in range(3):
        client.post("/register", json={"i": i})
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL keeps its trigram index itself")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT last_id FROM captures_fts_state").scalar() == 0
    _found(client, "register")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT last_id FROM captures_fts_state").scalar() == 3


def test_search_never_looks_inside_secrets(client, alice, app):
    client.post("/register", json={"i": 1}, headers={"Authorization": "Bearer sekrit-token-value"})
    assert _found(client, "sekrit-token") == []
    session = client.get_cookie("session").value
    assert _found(client, session[:20]) == []


def _search_objects(conn) -> set[str]:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name LIKE 'captures_fts%'"
        ).scalars()
        return {
            r for r in rows if r in ("captures_fts", "captures_fts_state", "captures_fts_delete")
        }
    rows = conn.exec_driver_sql(
        "SELECT indexname FROM pg_indexes WHERE indexname = 'ix_captures_search_trgm'"
    ).scalars()
    return set(rows)


def test_create_all_and_migrations_make_the_same_search_index(app):
    with app.app_context():
        with db.engine.connect() as conn:
            made = _search_objects(conn)
        empty_database()
        with db.engine.connect() as conn:
            assert _search_objects(conn) == set()  # dropped with the captures table
        upgrade()
        with db.engine.connect() as conn:
            migrated = _search_objects(conn)
    assert made == migrated and made


def test_postgres_search_can_use_the_trigram_index(client, alice, app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite uses its FTS5 table")
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(
                conn.execute(
                    sa.text(
                        "EXPLAIN SELECT id FROM captures WHERE search_text LIKE :p ESCAPE '\\'"
                    ),
                    {"p": "%needle%"},
                ).scalars()
            )
    assert "ix_captures_search_trgm" in plan
