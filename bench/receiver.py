"""Receiver and inspector throughput under gunicorn as `make serve` runs it (SQLite), driven by wrk.

Prints requests/s, p50/p99 latency and non-2xx counts for: the bare /ping
endpoint (the ceiling), anonymous and logged-in registration POSTs, and the
inspector page with 1,000 and with 100,000 stored captures. Then checks that
every 2xx answer left a stored capture (and no capture is stored twice).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from .common import Site, show, wrk

SECONDS = int(os.environ.get("BENCH_SECONDS", 10))
PAYLOAD = json.dumps({
    "platform": "ios", "appId": "io.example.app", "appVersion": "1.0.0", "os": "iOS",
    "osVersion": "17.4", "model": "iPhone", "installationId": "4d1c",
    "oneSignalUserId": "1a2b3c4d-0000-4000-8000-00000000abcd", "oneSignalPushToken": "7f9e",
    "oneSignalSubscribed": True, "oneSignalRequiresUserPrivacyConsent": False,
})  # fmt: skip
JSON = {"Content-Type": "application/json"}


def count(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM captures").fetchone()[0]


def settled_count(db, expected: int, seconds: float = 10.0) -> tuple[int, float]:
    """The stored count once it reaches `expected` (or stops growing), and how
    long that took: the site answers before its writer commits."""
    start = time.monotonic()
    last, still = count(db), 0
    while last < expected and still < 20 and time.monotonic() - start < seconds:
        time.sleep(0.05)
        now = count(db)
        still = still + 1 if now == last else 0
        last = now
    return last, time.monotonic() - start


def seed(db, upto: int) -> None:
    """Fill the table with plain captures until it holds `upto` rows, all sent
    by the bench account (user 1), so its inspector lists every one of them."""
    have = count(db)
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
    db = site.tmp / "bench.db"
    before = count(db)

    def post(i: int) -> int:
        headers = {**JSON, "Cookie": cookie} if i % 2 else JSON
        return requests.post(
            site.url + "/register/exact", data=PAYLOAD, headers=headers, timeout=30
        ).status_code

    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(post, range(n)))
    answered = sum(200 <= s < 300 for s in statuses)
    stored, _ = settled_count(db, before + answered)
    return answered, stored - before


def main() -> int:
    site = Site().start()
    db = site.tmp / "bench.db"
    ok = True
    try:
        cookie = site.login_cookie("bench@example.com", "bench-password-1")
        print(f"gunicorn as make serve runs it, SQLite; wrk -t2 -c8 -d{SECONDS}s", flush=True)
        bare = wrk(site.url + "/ping", SECONDS)
        show("bare endpoint /ping", bare)

        before = count(db)
        anon = wrk(site.url + "/register", SECONDS, method="POST", body=PAYLOAD, headers=JSON)
        show("registration POST, anonymous", anon)
        stored, anon_lag = settled_count(db, before + anon["requests"] - anon["non2xx"])
        anon_stored = stored - before

        before = count(db)
        logged = wrk(site.url + "/register", SECONDS, method="POST", body=PAYLOAD,
                     headers={**JSON, "Cookie": cookie})  # fmt: skip
        show("registration POST, logged in", logged)
        stored, logged_lag = settled_count(db, before + logged["requests"] - logged["non2xx"])
        logged_stored = stored - before

        pages = {}
        for size in (1000, 100_000):
            seed(db, size)
            pages[size] = wrk(site.url + "/inspector", SECONDS, headers={"Cookie": cookie})
            show(f"/inspector at {size:,} captures", pages[size])

        answered, stored = exact_check(site, cookie)
        print()
        for name, result, kept, lag in (
            ("anonymous", anon, anon_stored, anon_lag),
            ("logged in", logged, logged_stored, logged_lag),
        ):
            two_xx = result["requests"] - result["non2xx"]
            # wrk stops counting at the deadline while up to 8 requests are in
            # flight: the server may store those without wrk seeing the answer.
            lost = max(0, two_xx - kept)
            print(
                f"{name}: {two_xx} 2xx answers counted by wrk, {kept} captures stored, "
                f"lost {lost}; all stored {lag * 1000:.0f} ms after the run"
            )
            ok &= lost == 0 and kept - two_xx <= 8 and result["non2xx"] == 0
        print(f"bounded run: {answered} 2xx answers of 2000 POSTs, {stored} captures stored")
        ok &= answered == stored == 2000

        anon_ratio = anon["rps"] / bare["rps"]
        logged_ratio = logged["rps"] / bare["rps"]
        page_ratio = pages[100_000]["p50_ms"] / pages[1000]["p50_ms"]
        print(f"anonymous / bare = {anon_ratio:.2f} (target >= 0.40)")
        print(f"logged in / bare = {logged_ratio:.2f} (target >= 0.25)")
        print(f"inspector p50 at 100,000 / at 1,000 = {page_ratio:.2f} (target <= 1.50)")
        ok &= anon_ratio >= 0.4 and logged_ratio >= 0.25 and page_ratio <= 1.5
    finally:
        site.stop()
    print("receiver bench:", "all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
