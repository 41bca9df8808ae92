"""The receiver's group commit: concurrent requests share one transaction,
each keeps its own capture, and one bad request costs the others nothing."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from demo_app import throttle
from demo_app.extensions import db
from demo_app.models import Capture

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


def test_requests_arriving_during_a_write_share_the_next_transaction(app, db_kind):
    writer = app.extensions["receiver.writer"]
    assert app.test_client().post("/register", json=IOS_PAYLOAD).status_code == 200
    commits = _commits(app)

    def post(_):
        return app.test_client().post("/register", json=IOS_PAYLOAD)

    with ThreadPoolExecutor(8) as pool, HeldWrite(app, db_kind) as held:
        # the first request writes alone and waits for the lock; the other
        # seven queue behind it
        futures = [pool.submit(post, i) for i in range(8)]
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
        futures = [pool.submit(post, "/register") for _ in range(4)]
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


def test_a_batch_from_one_address_is_counted_against_its_limit(app):
    with app.app_context(), db.engine.begin() as conn:
        assert throttle.count_requests(conn, "192.0.2.1", 2, 3) == [0, 0]
        waits = throttle.count_requests(conn, "192.0.2.1", 3, 3)
        assert waits[0] == 0 and all(1 <= w <= 60 for w in waits[1:])
        assert throttle.count_requests(conn, "192.0.2.2", 1, 3) == [0]


def test_a_lone_request_does_not_wait_for_company(app):
    """Nothing else in flight: the writer writes at once, one commit each."""
    commits = _commits(app)
    client = app.test_client()
    for _ in range(3):
        assert client.post("/register", json=IOS_PAYLOAD).status_code == 200
    assert len(commits) == 3
