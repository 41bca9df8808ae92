"""The receiver's group commit: concurrent requests share one transaction,
each keeps its own capture, and one bad request costs the others nothing."""

from __future__ import annotations

import base64
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from demo_app import throttle
from demo_app.extensions import db
from demo_app.models import Capture
from demo_app.receiver.store import capture_line

from .payloads import IOS_PAYLOAD


def _commits(app) -> list:
    seen = []
    with app.app_context():
        sa.event.listen(db.engine, "commit", seen.append)
    return seen


class HeldWrite:
    """Hold the database's write lock from another connection, so the
    receiver's first writer waits and the requests behind it queue up."""

    def __init__(self, app, db_kind):
        self.app, self.db_kind = app, db_kind

    def __enter__(self):
        with self.app.app_context():
            self.conn = db.engine.connect()
        if self.db_kind == "sqlite":
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # the per-address counter row every receiver write updates first
            self.tx = self.conn.begin()
            self.conn.execute(sa.text("UPDATE rate_counters SET hits = hits"))
        return self

    def __exit__(self, *exc):
        if self.db_kind == "sqlite":
            self.conn.exec_driver_sql("COMMIT")
        else:
            self.tx.commit()
        self.conn.close()


def _wait_for(condition, what: str, tries: int = 2000) -> None:
    for _ in range(tries):
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError("never happened: " + what)


def _writing_alone(writer) -> bool:
    """The writer is busy with a batch and nothing else is queued."""
    return writer._writing and writer.queued() == 0


def test_requests_arriving_during_a_write_share_the_next_transaction(app, db_kind):
    writer = app.extensions["receiver.writer"]
    assert app.test_client().post("/register", json=IOS_PAYLOAD).status_code == 200
    commits = _commits(app)

    def post(_):
        return app.test_client().post("/register", json=IOS_PAYLOAD)

    with ThreadPoolExecutor(8) as pool, HeldWrite(app, db_kind) as held:
        # the first request is written alone and waits for the lock; the
        # other seven queue behind it
        futures = [pool.submit(post, 0)]
        _wait_for(lambda: _writing_alone(writer), "the first one being written")
        futures += [pool.submit(post, i) for i in range(1, 8)]
        _wait_for(lambda: writer.queued() == 7, "seven requests queued")
    answers = [f.result() for f in futures]
    assert [a.status_code for a in answers] == [200] * 8
    ids = sorted(a.json["capture_id"] for a in answers)
    assert len(set(ids)) == 8
    receiver_commits = [conn for conn in commits if conn is not held.conn]
    assert len(receiver_commits) == 2  # one for the first, one for the seven
    with app.app_context():
        stored = db.session.scalars(sa.select(Capture.id).where(Capture.id.in_(ids))).all()
        assert sorted(stored) == ids
        for answer in answers:
            capture = db.session.get(Capture, answer.json["capture_id"])
            assert capture.parsed == IOS_PAYLOAD and capture.device_id is not None


def test_a_bad_request_in_a_batch_costs_the_others_nothing(app, db_kind, auth):
    """A capture naming an endpoint deleted meanwhile breaks its batch's
    INSERT; the batch is written again one request at a time."""
    writer = app.extensions["receiver.writer"]
    auth.create()
    gone = auth.endpoint()
    assert app.test_client().post("/register", json=IOS_PAYLOAD).status_code == 200

    def post(url):
        return app.test_client().post(url, json=IOS_PAYLOAD)

    with ThreadPoolExecutor(6) as pool, HeldWrite(app, db_kind) as held:
        futures = [pool.submit(post, "/register")]
        _wait_for(lambda: _writing_alone(writer), "the first one being written")
        futures += [pool.submit(post, "/register") for _ in range(3)]
        _wait_for(lambda: writer.queued() == 3, "three requests queued")
        futures.append(pool.submit(post, gone))
        _wait_for(lambda: writer.queued() == 4, "the endpoint's request queued")
        # deleted in the transaction that holds the lock, before the batch runs
        held.conn.execute(sa.text("DELETE FROM endpoints"))
    results = [f.result() for f in futures]
    assert [r.status_code for r in results[:4]] == [200] * 4
    assert len({r.json["capture_id"] for r in results[:4]}) == 4
    # the endpoint's own request is not lost: it went to the capture log
    assert results[4].status_code == 202 and results[4].json["stored"] == "log only"
    with app.app_context():
        for result in results[:4]:
            assert db.session.get(Capture, result.json["capture_id"]) is not None


def test_the_shared_count_adds_every_process_and_starts_again_each_minute(app):
    window = int(time.time() // 60) * 60
    with app.app_context(), db.engine.begin() as conn:
        assert throttle.add_requests(conn, "192.0.2.1", 2, window) == 2
        assert throttle.add_requests(conn, "192.0.2.1", 3, window) == 5
        assert throttle.add_requests(conn, "192.0.2.2", 1, window) == 1
        assert throttle.add_requests(conn, "192.0.2.1", 1, window + 60) == 1


def test_a_lone_request_does_not_wait_for_company(app):
    """Nothing else in flight: the writer writes at once, one commit each."""
    commits = _commits(app)
    client = app.test_client()
    for _ in range(3):
        assert client.post("/register", json=IOS_PAYLOAD).status_code == 200
    assert len(commits) == 3


# The site's default: the answer comes once the capture is queued.
answers_first = pytest.mark.parametrize("app_settings", [{"RECEIVER_CONFIRM_STORED": False}])


def _capture_lines(app) -> list[dict]:
    folder = Path(app.instance_path) / "journal"
    return [
        json.loads(line)
        for f in sorted(folder.glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]


@answers_first
def test_the_answer_comes_before_the_write_and_the_journal_keeps_it_meanwhile(app, db_kind, auth):
    auth.create()
    auth.login()
    writer = app.extensions["receiver.writer"]
    client = app.test_client()
    client.post("/register", json=IOS_PAYLOAD)  # the address's counter row, held below
    assert writer.flush(timeout=10)
    with HeldWrite(app, db_kind):
        # the database takes no write now, and the sender is answered anyway
        answer = client.post("/register", json=IOS_PAYLOAD)
        assert answer.status_code == 200
        key = answer.json["capture_key"]
        assert answer.json["capture_id"] is None
        assert answer.json["inspect"] == f"/inspector/key/{key}"
        assert answer.json["device"] == {"subscription_id": IOS_PAYLOAD["oneSignalUserId"].lower(),
                                         "linked": False}  # fmt: skip
        # answered, not stored: on disk in the journal, whole
        [line] = _capture_lines(app)
        assert line["log_key"] == key and line["path"] == "/register"
        assert json.loads(base64.b64decode(line["body_b64"])) == IOS_PAYLOAD
        with app.app_context():
            assert not db.session.scalar(sa.select(Capture.id).where(Capture.log_key == key))
    assert writer.flush(timeout=10)
    with app.app_context():
        capture = db.session.scalar(sa.select(Capture).where(Capture.log_key == key))
        assert capture.parsed == IOS_PAYLOAD and capture.device_id is not None
    assert _capture_lines(app) == []  # stored: the journal no longer holds it
    # The shared /register is read by admins: alice, no admin, gets the same
    # answer as for a key that names nothing.
    page = auth._client.get(f"/inspector/key/{key}")
    assert page.status_code == 404 and "not yours" in page.get_data(as_text=True)


@answers_first
def test_the_key_link_opens_the_capture_for_its_owner_only(app, auth):
    auth.create()
    path = auth.endpoint()
    auth.login()
    sent = auth._client.post(path, json=IOS_PAYLOAD)
    key = sent.json["capture_key"]
    # opened at once: this process's queue is written first
    page = auth._client.get(f"/inspector/key/{key}")
    assert page.status_code == 302
    with app.app_context():
        capture_id = db.session.scalar(sa.select(Capture.id).where(Capture.log_key == key))
    assert page.headers["Location"].endswith(f"/inspector/{capture_id}")
    # a stranger learns nothing, not even that the key exists
    auth.logout()
    auth.create("mallory@example.com")
    auth.login("mallory@example.com")
    stranger = auth._client.get(f"/inspector/key/{key}")
    assert stranger.status_code == 404
    assert stranger.headers["Refresh"] == f"2; url=/inspector/key/{key}?try=1"
    last = auth._client.get(f"/inspector/key/{key}?try=5")
    assert last.status_code == 404 and "Refresh" not in last.headers
    assert auth._client.get("/inspector/key/not-a-key").status_code == 404


@answers_first
def test_a_stopped_workers_journal_is_loaded_once(app):
    """A worker killed after answering and before writing left its journal
    (a segment nobody holds a lock on): the next writer to start loads it,
    once; a live writer's segment is left alone."""
    import fcntl

    folder = Path(app.instance_path) / "journal"
    folder.mkdir(parents=True)
    with app.test_request_context("/register", method="POST", json=IOS_PAYLOAD):
        from flask import request

        from demo_app.receiver.capture import read

        received = read(request, None, None, None, None)
    line = capture_line(received.columns(), received.body)
    orphan = folder / "0badc0ffee000001.jsonl"
    orphan.write_bytes(line + line[:40])  # and a torn last line
    live = folder / "0badc0ffee000002.jsonl"
    live.write_bytes(line)
    held = os.open(live, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # as its writer holds it
    try:
        assert app.test_client().post("/register/other", json=IOS_PAYLOAD).status_code == 200
        assert app.extensions["receiver.writer"].flush(timeout=10)
        with app.app_context():
            keys = db.session.scalars(sa.select(Capture.log_key)).all()
        assert received.log_key in keys and len(keys) == 2
        assert not orphan.exists() and live.exists()
    finally:
        os.close(held)
    # its writer gone, the command loads it: the same capture, not twice
    result = app.test_cli_runner().invoke(args=["captures", "import-log"])
    assert result.exit_code == 0 and "Added 0 of 1 captures from stopped workers" in result.output
    assert not live.exists()


@answers_first
def test_the_writer_stops_when_idle_and_starts_again(app, monkeypatch):
    from demo_app.receiver.writer import Writer

    monkeypatch.setattr(Writer, "IDLE", 0.05)
    writer = app.extensions["receiver.writer"]
    client = app.test_client()
    assert client.post("/register", json=IOS_PAYLOAD).status_code == 200
    _wait_for(lambda: writer._thread is None, "the idle writer stopped")
    key = client.post("/register", json=IOS_PAYLOAD).json["capture_key"]
    assert writer.flush(timeout=10)
    with app.app_context():
        assert db.session.scalar(sa.select(Capture.id).where(Capture.log_key == key))


@answers_first
def test_a_full_queue_makes_senders_wait_rather_than_grow(app, db_kind, monkeypatch):
    from demo_app.receiver.writer import Writer

    monkeypatch.setattr(Writer, "MAX_QUEUED", 3)
    writer = app.extensions["receiver.writer"]
    app.test_client().post("/register", json=IOS_PAYLOAD)  # the counter row, held below
    assert writer.flush(timeout=10)

    def post(_):
        return app.test_client().post("/register", json=IOS_PAYLOAD)

    with ThreadPoolExecutor(8) as pool, HeldWrite(app, db_kind):
        futures = [pool.submit(post, i) for i in range(8)]
        # one batch is being written (held; at most three, as the queue held
        # no more when it was taken), three wait in the queue, and the other
        # senders (two at least) wait for room, unanswered
        _wait_for(lambda: writer.queued() == 3, "the queue full")
        time.sleep(0.2)
        assert writer.queued() == 3 and sum(f.done() for f in futures) <= 6
    assert [f.result().status_code for f in futures] == [200] * 8
    assert writer.flush(timeout=10)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Capture)) == 9


def test_the_limit_counts_what_other_processes_took(app):
    """Counts: this process judges at once and learns the other processes'
    requests from the shared count at each write."""
    from demo_app.receiver.writer import Counts

    counts = Counts()
    assert [counts.take("192.0.2.9", 3) for _ in range(2)] == [0, 0]
    with app.app_context(), db.engine.begin() as conn:
        # another process took two in this minute
        throttle.add_requests(conn, "192.0.2.9", 2, int(time.time() // 60) * 60)
        counts.merge(conn)
    assert not counts.pending()
    assert 1 <= counts.take("192.0.2.9", 3) <= 60  # 2 here + 2 there + this one
    assert counts.take("192.0.2.10", 3) == 0  # another address is not affected
