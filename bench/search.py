"""Inspector text search at 1,000 and 1,000,000 captures (SQLite, then PostgreSQL).

Rows are made in bulk inside the database (SQLite: INSERT ... SELECT from a
recursive CTE; PostgreSQL: from generate_series), each with its own 8-hex
token in the body, as a device id or push token would be. The search is for
the token of a row in the middle: one match. Measured with wrk on
`/inspector?q=<token>` (the page a person uses), logged in as the account that
sent every row; each figure is the middle one of BENCH_SEARCH_REPEAT (3) wrk
runs, as the machine may be shared. SQLite's index is brought up to date first with the same
INSERT ... SELECT a search runs (timed and printed: it is what migration 0009
or the first search after a burst of captures costs).

PostgreSQL runs when BENCH_POSTGRES_URL names a throw-away database (its
public schema is emptied).

Target: the SQLite p50 at 1,000,000 within 1.5x of the p50 at 1,000.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
import time

import requests
import sqlalchemy as sa

from .common import Site, show, wrk

SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
REPEAT = int(os.environ.get("BENCH_SEARCH_REPEAT", 3))
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SEARCH_SIZES", "1000,1000000").split(","))
PAYLOAD = json.dumps({
    "platform": "ios", "appId": "io.example.app", "appVersion": "1.0.0", "os": "iOS",
    "osVersion": "17.4", "model": "iPhone", "installationId": "TOKEN",
    "oneSignalUserId": "1a2b3c4d-0000-4000-8000-00000000abcd", "oneSignalPushToken": "7f9e",
    "oneSignalSubscribed": True, "oneSignalRequiresUserPrivacyConsent": False,
})  # fmt: skip
HEADERS = json.dumps([["Content-Type", "application/json"], ["User-Agent", "bench"]])
SEARCH = (
    "post\n/register/seed\nseed\n\n127.0.0.1\napplication/json\ncontent-type: application/json\n"
    "user-agent: bench\n" + PAYLOAD.lower()
)
COLUMNS = (
    "method, path, label, query_string, remote_addr, content_type, headers, cookies, body,"
    " body_size, platform, status, http_status, problems, search_text, received_at, user_id"
)


def token(i: int) -> str:
    """Row i's token: a bijection of i onto 8 hex digits (Knuth's multiplier)."""
    return f"{(i * 2654435761) % 2**32:08x}"


def seed_sqlite(path, start: int, end: int) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    hexed = "printf('%08x', (i * 2654435761) % 4294967296)"
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            f" INSERT INTO captures ({COLUMNS}) SELECT 'POST', '/register/seed', 'seed', '',"
            f" '127.0.0.1', 'application/json', ?, '[]',"
            f" CAST(replace(?, 'TOKEN', {hexed}) AS BLOB), ?, 'ios', 'ok', 200, '[]',"
            f" replace(?, 'token', {hexed}), ?, 1 FROM n",
            (start, end, HEADERS, PAYLOAD, len(PAYLOAD), SEARCH, now),
        )


def index_sqlite(path) -> tuple[int, float]:
    """What search.catch_up runs; (rows indexed, seconds)."""
    began = time.perf_counter()
    with sqlite3.connect(path) as conn:
        added = conn.execute(
            "INSERT INTO captures_fts (rowid, search_text) SELECT id, search_text"
            " FROM captures WHERE id > (SELECT last_id FROM captures_fts_state)"
        ).rowcount
        conn.execute(
            "UPDATE captures_fts_state SET last_id = (SELECT coalesce(max(id), 0) FROM captures)"
        )
    seconds = time.perf_counter() - began
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # settle the bulk write
    conn.close()
    return added, seconds


def seed_postgres(url: str, start: int, end: int) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    hexed = "lpad(to_hex((i * 2654435761) % 4294967296), 8, '0')"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO captures ({COLUMNS}) SELECT 'POST', '/register/seed', 'seed', '',"
                f" '127.0.0.1', 'application/json', CAST(:headers AS json), '[]',"
                f" convert_to(replace(:payload, 'TOKEN', {hexed}), 'UTF8'), :size, 'ios', 'ok',"
                f" 200, '[]', replace(:search, 'token', {hexed}), :now, 1"
                f" FROM generate_series(CAST(:start AS bigint), :end) AS i"
            ),
            {"headers": HEADERS, "payload": PAYLOAD, "size": len(PAYLOAD), "search": SEARCH,
             "now": now, "start": start, "end": end},
        )  # fmt: skip
    # settle the bulk write as autovacuum would: GIN's pending list merged
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE captures"))
    engine.dispose()


def empty_postgres(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def search_p50(site: Site, database_url: str, q: str, rounds: int = 200) -> float:
    """The search itself, in this process: the ids of one page of the bench
    account's captures holding `q`, as the inspector asks for them (p50, ms)."""
    from demo_app import create_app
    from demo_app.endpoints.service import access_for
    from demo_app.extensions import db
    from demo_app.inspector.queries import Filters, newest_first
    from demo_app.models import User

    os.environ["INSTANCE_PATH"] = str(site.tmp)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-secret",
         "RUN_WORKER": False, "SITE_URL": site.url, "TESTING": True}
    )  # fmt: skip
    times = []
    with app.app_context():
        access = access_for(db.session.get(User, 1))
        for _ in range(rounds):
            began = time.perf_counter()
            rows, _ = newest_first(Filters(q=q), access, None, 50)
            times.append((time.perf_counter() - began) * 1000)
            db.session.rollback()
        assert len(rows) == 1
        db.engine.dispose()
    return sorted(times)[len(times) // 2]


def scan_p50(database_url: str, q: str, rounds: int = 5) -> float:
    """What the search cost before the index: the plain LIKE scan (p50, ms)."""
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    times = []
    with engine.connect() as conn:
        for _ in range(rounds):
            began = time.perf_counter()
            conn.execute(
                sa.text(
                    "SELECT id FROM captures WHERE user_id = 1 AND search_text LIKE :p"
                    " ORDER BY id DESC LIMIT 51"
                ),
                {"p": f"%{q}%"},
            ).all()
            times.append((time.perf_counter() - began) * 1000)
    engine.dispose()
    return sorted(times)[len(times) // 2]


def run(kind: str, site: Site, seed, index=None) -> tuple[dict, dict]:
    cookie = site.login_cookie("bench@example.com", "bench-password-1")
    results, queries = {}, {}
    have = 0
    for size in SIZES:
        began = time.perf_counter()
        seed(have + 1, size)
        print(
            f"{kind}: {size - have:,} rows made in {time.perf_counter() - began:.1f} s", flush=True
        )
        if index:
            added, seconds = index()
            print(f"{kind}: {added:,} rows indexed in {seconds:.1f} s", flush=True)
        have = size
        rare = token(size // 2)
        url = f"{site.url}/inspector?q={rare}"
        # the search finds its one row, and only it
        page = requests.get(url, headers={"Cookie": cookie}, timeout=60).text
        assert page.count('<li class="capture"') == 1, "expected one match"
        for _ in range(100):  # warm both workers (templates, caches)
            requests.get(url, headers={"Cookie": cookie}, timeout=60)
        # the machine may be shared: the middle of REPEAT runs by p50
        runs = sorted(
            (wrk(url, SECONDS, connections=4, headers={"Cookie": cookie}) for _ in range(REPEAT)),
            key=lambda result: result["p50_ms"],
        )
        results[size] = runs[len(runs) // 2]
        show(f"{kind} /inspector?q= at {size:,}", results[size])
        queries[size] = search_p50(site, site.env["DATABASE_URL"], rare)
        print(f"{kind} search query at {size:,}: p50 {queries[size]:.2f} ms", flush=True)
        if kind == "SQLite":  # PostgreSQL's LIKE uses the trigram index itself
            scan = scan_p50(site.env["DATABASE_URL"], rare)
            print(f"{kind} plain scan (before) at {size:,}: p50 {scan:.2f} ms", flush=True)
    return results, queries


def main() -> int:
    ok = True
    site = Site().start()
    db = site.tmp / "bench.db"
    small, big = SIZES[0], SIZES[-1]
    try:
        print(f"gunicorn as make serve runs it; wrk -t2 -c4 -d{SECONDS}s per line", flush=True)
        pages, queries = run(
            "SQLite", site, lambda a, b: seed_sqlite(db, a, b), lambda: index_sqlite(db)
        )
    finally:
        site.stop()
    ratio = queries[big] / queries[small]
    page_ratio = pages[big]["p50_ms"] / pages[small]["p50_ms"]
    print(f"SQLite search p50 at {big:,} / at {small:,} = {ratio:.2f} (target <= 1.50)")
    print(f"SQLite /inspector?q= p50 at {big:,} / at {small:,} = {page_ratio:.2f} (target <= 1.50)")
    ok &= ratio <= 1.5 and page_ratio <= 1.5 and all(r["non2xx"] == 0 for r in pages.values())

    url = os.environ.get("BENCH_POSTGRES_URL")
    if url:
        empty_postgres(url)
        site = Site(database_url=url).start()
        try:
            pages, queries = run("PostgreSQL", site, lambda a, b: seed_postgres(url, a, b))
        finally:
            site.stop()
        ratio = queries[big] / queries[small]
        page_ratio = pages[big]["p50_ms"] / pages[small]["p50_ms"]
        print(f"PostgreSQL search p50 at {big:,} / at {small:,} = {ratio:.2f} (reported)")
        print(f"PostgreSQL /inspector?q= p50 at {big:,} / at {small:,} = {page_ratio:.2f}")
    else:
        print("PostgreSQL: skipped (set BENCH_POSTGRES_URL to a throw-away database)")
    print("search bench:", "all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
