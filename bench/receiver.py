"""Receiver and inspector throughput under gunicorn as `make serve` runs it, driven by wrk.

Prints requests/s, p50/p99 latency and non-2xx counts for: the bare /ping
endpoint (the ceiling), anonymous and logged-in registration POSTs, on SQLite
(the default) and on PostgreSQL (BENCH_POSTGRES_URL, default the machine's
local server; skipped with a note when it does not answer), and the inspector
page with 1,000 and with 100,000 stored captures (SQLite). Then checks that
every 2xx answer left a stored capture (and no capture is stored twice).
Target, as `make serve` runs (SQLite): anonymous POSTs at 0.25x /ping or more.
PostgreSQL's figures are reported: there every commit waits for its WAL flush.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from demo_app.config import normalise_database_url

from .common import Site, show, wrk

SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/pushlab_bench"
)
PAYLOAD = json.dumps({
    "platform": "ios", "appId": "io.example.app", "appVersion": "1.0.0", "os": "iOS",
    "osVersion": "17.4", "model": "iPhone", "installationId": "4d1c",
    "oneSignalUserId": "1a2b3c4d-0000-4000-8000-00000000abcd", "oneSignalPushToken": "7f9e",
    "oneSignalSubscribed": True, "oneSignalRequiresUserPrivacyConsent": False,
})  # fmt: skip
JSON = {"Content-Type": "application/json"}
TARGET = 0.25


def count(url: str, label: str | None = None) -> int:
    """Captures stored in the database at `url` (SQLAlchemy URL), all or
    those of one label."""
    query = "SELECT count(*) FROM captures" + (" WHERE label = :label" if label else "")
    engine = sa.create_engine(normalise_database_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query), {"label": label}).scalar_one()
    finally:
        engine.dispose()


def seed(db, upto: int) -> None:
    """Fill the table with plain captures until it holds `upto` rows, all sent
    by the bench account (user 1), so its inspector lists every one of them."""
    have = count(f"sqlite:///{db}")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    headers = json.dumps([["Content-Type", "application/json"]])
    search = "post /register/seed " + PAYLOAD.lower()
    row = ("POST", "/register/seed", "seed", "", "127.0.0.1", "application/json", headers,
           "[]", PAYLOAD.encode(), len(PAYLOAD), "ios", "ok", 200, "[]", search, now,
           1)  # fmt: skip
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO captures (method, path, label, query_string, remote_addr, content_type,"
            " headers, cookies, body, body_size, platform, status, http_status, problems,"
            " search_text, received_at, user_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (row for _ in range(upto - have)),
        )


def exact_check(site: Site, cookie: str, n: int = 2000, threads: int = 16) -> tuple[int, int]:
    """A bounded run: n POSTs from `threads` clients; (2xx answers, captures stored)."""

    def post(i: int) -> int:
        headers = {**JSON, "Cookie": cookie} if i % 2 else JSON
        return requests.post(
            site.url + "/register/exact", data=PAYLOAD, headers=headers, timeout=30
        ).status_code

    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(post, range(n)))
    return sum(200 <= s < 300 for s in statuses), count(site.database_url, "exact")


def receiver_runs(site: Site, cookie: str, kind: str, target: float | None) -> bool:
    """/ping, then anonymous and logged-in POSTs under wrk, then a bounded run:
    prints each and the ratios; True if nothing was lost and the target (if
    any) met."""
    print(f"gunicorn as make serve runs it, {kind}; wrk -t2 -c8 -d{SECONDS}s", flush=True)
    bare = wrk(site.url + "/ping", SECONDS)
    show("bare endpoint /ping", bare)
    ok, results = True, {}
    for name, headers in (("anonymous", JSON), ("logged in", {**JSON, "Cookie": cookie})):
        before = count(site.database_url)
        result = wrk(site.url + "/register", SECONDS, method="POST", body=PAYLOAD, headers=headers)
        show(f"registration POST, {name}", result)
        results[name] = result, count(site.database_url) - before
    answered, stored = exact_check(site, cookie)
    for name, (result, kept) in results.items():
        two_xx = result["requests"] - result["non2xx"]
        # wrk stops counting at the deadline while up to 8 requests are in
        # flight: the server may store those without wrk seeing the answer.
        lost = max(0, two_xx - kept)
        print(f"{kind}, {name}: {two_xx} 2xx answers counted by wrk, {kept} captures stored, "
              f"lost {lost}; {result['rps'] / bare['rps']:.2f}x /ping")  # fmt: skip
        ok &= lost == 0 and kept - two_xx <= 8 and result["non2xx"] == 0
    print(f"{kind}, bounded run: {answered} 2xx answers of 2000 POSTs, {stored} captures stored")
    anon_ratio = results["anonymous"][0]["rps"] / bare["rps"]
    goal = f"target >= {target:.2f}" if target else "reported, no target"
    print(f"{kind}: anonymous / bare = {anon_ratio:.2f} ({goal})", flush=True)
    return ok and answered == stored == 2000 and (target is None or anon_ratio >= target)


def postgres_url() -> str | None:
    """A database of its own on the local PostgreSQL server (made if missing),
    emptied; None if the server does not answer."""
    url = normalise_database_url(POSTGRES_URL)
    server = sa.make_url(url).set(database="postgres")
    try:
        engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            name = sa.make_url(url).database
            if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": name}).first():  # fmt: skip
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    except sa.exc.SQLAlchemyError as error:
        print(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}; skipped")
        return None
    return url


def main() -> int:
    ok = True
    site = Site()
    db = site.tmp / "bench.db"
    site.start()
    try:
        cookie = site.login_cookie("bench@example.com", "bench-password-1")
        ok &= receiver_runs(site, cookie, "SQLite", TARGET)
        pages = {}
        for size in (1000, 100_000):
            seed(db, size)
            pages[size] = wrk(site.url + "/inspector", SECONDS, headers={"Cookie": cookie})
            show(f"/inspector at {size:,} captures", pages[size])
        page_ratio = pages[100_000]["p50_ms"] / pages[1000]["p50_ms"]
        print(f"inspector p50 at 100,000 / at 1,000 = {page_ratio:.2f} (target <= 1.50)")
        ok &= page_ratio <= 1.5
    finally:
        site.stop()
    url = postgres_url()
    if url is not None:
        print()
        site = Site(database_url=url).start()
        try:
            cookie = site.login_cookie("bench@example.com", "bench-password-1")
            ok &= receiver_runs(site, cookie, "PostgreSQL", None)
        finally:
            site.stop()
    print("receiver bench:", "all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
