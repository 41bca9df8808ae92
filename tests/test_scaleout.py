"""Separate server processes: two hosts on one PostgreSQL, a worker killed
mid-stream, and SQLite under 32 concurrent clients. Each starts real gunicorn
processes on loopback ports."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from bench.common import Site

from .conftest import PASSWORD, postgres_or_skip

PLAYER = "6392d91a-b206-4b7b-a620-cd68e32c3a76"


def _workers(master_pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master_pid:
                children.append(int(entry.name))
    return children


@pytest.fixture
def two_hosts():
    from demo_app.config import normalise_database_url

    url = postgres_or_skip()
    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    hosts = [Site(workers=1, database_url=url).start(), Site(workers=1, database_url=url).start()]
    yield hosts
    for host in hosts:
        host.stop()


def test_two_hosts_share_sessions_captures_and_devices(two_hosts):
    a, b = two_hosts
    session, token = a.login_session("dev@example.com", PASSWORD)
    # The cookie made by host A is a login on host B.
    cookie = {"session": session.cookies["session"]}
    profile = requests.get(
        b.url + "/profile", cookies=cookie, headers={"User-Agent": "pushlab-bench"}
    )
    assert profile.status_code == 200 and "dev@example.com" in profile.text

    # A capture posted to A is stored before A answers: B's tail has it, and
    # the answer's inspector link opens it on B.
    answer = requests.post(a.url + "/register/hostA", json={"n": 1}, cookies=cookie).json()
    assert answer["inspect"] == f"/inspector/{answer['capture_id']}"
    arrived = requests.get(b.url + "/api/captures?after=0&label=hostA", cookies=cookie,
                           headers={"User-Agent": "pushlab-bench"}).json()["captures"]  # fmt: skip
    assert [(c["id"], c["label"]) for c in arrived] == [(answer["capture_id"], "hostA")]
    opened = requests.get(b.url + answer["inspect"], cookies=cookie,
                          headers={"User-Agent": "pushlab-bench"})  # fmt: skip
    assert opened.status_code == 200 and f"Capture #{answer['capture_id']}" in opened.text

    # A device linked through A is on the user's list on B.
    device = {"platform": "android", "oneSignalUserId": PLAYER}
    linked = session.post(a.url + "/api/devices", json=device, headers={"X-CSRFToken": token})
    assert linked.status_code == 200
    devices = requests.get(
        b.url + "/devices", cookies=cookie, headers={"User-Agent": "pushlab-bench"}
    )
    assert PLAYER in devices.text


def _stored_markers(site: Site) -> list[str]:
    with sqlite3.connect(site.tmp / "bench.db") as conn:
        rows = conn.execute("SELECT body FROM captures WHERE label = 'stream'").fetchall()
    return [json.loads(body)["marker"] for (body,) in rows if body]


def test_worker_killed_mid_stream_loses_no_acknowledged_capture():
    site = Site(workers=2).start()
    try:
        answered: dict[str, int] = {}
        lock = threading.Lock()
        killed = threading.Event()

        def post(i: int) -> None:
            marker = f"m{i}"
            try:
                status = requests.post(
                    site.url + "/register/stream", json={"marker": marker}, timeout=10
                ).status_code
            except requests.RequestException:
                status = 0  # the connection died with the worker: not acknowledged
            with lock:
                answered[marker] = status

        def killer() -> None:
            while len(answered) < 150:
                time.sleep(0.01)
            victim = _workers(site.proc.pid)[0]
            os.kill(victim, signal.SIGKILL)
            killed.set()

        threading.Thread(target=killer, daemon=True).start()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(post, range(600)))
        assert killed.is_set()
        # Every answer came after its commit: what was acknowledged is stored.
        acknowledged = {m for m, status in answered.items() if 200 <= status < 300}
        assert len(acknowledged) >= 500
        stored = _stored_markers(site)
        assert acknowledged <= set(stored), "acknowledged captures missing"
        assert len(stored) == len(set(stored)), "a capture stored twice"
    finally:
        site.stop()


def test_sqlite_32_concurrent_clients_two_workers():
    site = Site(workers=2).start()
    try:

        def post(i: int) -> int:
            return requests.post(
                site.url + "/register/stream", json={"marker": f"c{i}"}, timeout=60
            ).status_code

        with ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(post, range(960)))
        assert statuses.count(200) == 960
        assert sorted(_stored_markers(site)) == sorted(f"c{i}" for i in range(960))
        errors = (site.tmp / "err.log").read_text()
        assert "database is locked" not in errors and "Traceback" not in errors
    finally:
        site.stop()
