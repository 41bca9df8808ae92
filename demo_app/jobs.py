"""A small background runner whose queue is the `jobs` table.

Any number of runners (a thread in each web worker, or `flask --app wsgi
worker`) can poll the same database: a job is claimed with a compare-and-set
UPDATE, so exactly one runner takes it. A job left "running" by a runner that
died is taken again after STALE. Each runner also applies retention (guests
whose 7 days are over, CAPTURE_MAX_COUNT, CAPTURE_MAX_DAYS) when it starts and
every RETENTION_EVERY seconds after, so no request of the receiver pays for it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app

from .accounts import prune_guests
from .extensions import db
from .models import Job, utcnow
from .receiver.store import prune

POLL_SECONDS = 1.0
RETENTION_EVERY = 600.0
STALE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 3
_started: set[int] = set()
_lock = threading.Lock()


def claim_next() -> Job | None:
    now = utcnow()
    candidates = db.session.scalars(
        sa.select(Job.id)
        .where(
            sa.or_(
                sa.and_(Job.status == "queued", Job.run_at <= now),
                sa.and_(Job.status == "running", Job.locked_at < now - STALE),
            )
        )
        .order_by(Job.run_at)
        .limit(5)
    ).all()
    db.session.rollback()
    for job_id in candidates:
        claimed = db.session.execute(
            sa.update(Job)
            .where(
                Job.id == job_id,
                sa.or_(
                    Job.status == "queued",
                    sa.and_(Job.status == "running", Job.locked_at < now - STALE),
                ),
            )
            .values(status="running", locked_at=now, attempts=Job.attempts + 1)
        ).rowcount
        db.session.commit()
        if claimed:
            return db.session.get(Job, job_id)
    return None


def run_due_jobs(limit: int = 20) -> int:
    """Run what is due now; returns how many jobs ran."""
    done = 0
    while done < limit:
        job = claim_next()
        if job is None:
            break
        try:
            HANDLERS[job.kind](job)
            job.status, job.last_error = "done", None
        except Exception as error:  # noqa: BLE001 - one bad job must not stop the runner
            db.session.rollback()
            current_app.logger.warning("job %s failed: %s", job.id, type(error).__name__)
            job = db.session.get(Job, job.id)
            job.last_error = f"{type(error).__name__}: {error}"[:1000]
            job.status = "failed" if job.attempts >= MAX_ATTEMPTS else "queued"
            job.run_at = utcnow() + dt.timedelta(seconds=10 * job.attempts)
        db.session.commit()
        done += 1
    return done


HANDLERS: dict[str, Callable[[Job], None]] = {}


def handler(kind: str):
    """Register the function that runs jobs of `kind` (a job may change its
    payload to leave a result)."""

    def register(function):
        HANDLERS[kind] = function
        return function

    return register


def enqueue(kind: str, user_id: int | None, payload: dict, delay: float = 0) -> Job:
    """Queue a job to run `delay` seconds from now; the caller commits."""
    job = Job(kind=kind, user_id=user_id, payload=payload,
              run_at=utcnow() + dt.timedelta(seconds=delay))  # fmt: skip
    db.session.add(job)
    return job


def apply_retention() -> int:
    """Delete the guests whose time is over, then the captures beyond the
    retention settings; how many captures went by the settings."""
    config = current_app.config
    prune_guests()
    return prune(config["CAPTURE_MAX_COUNT"], config["CAPTURE_MAX_DAYS"])


def run_forever(app: Flask, stop: threading.Event | None = None) -> None:
    retention_due = time.monotonic()
    while not (stop and stop.is_set()):
        with app.app_context():
            try:
                if time.monotonic() >= retention_due:
                    retention_due = time.monotonic() + RETENTION_EVERY
                    apply_retention()
                ran = run_due_jobs()
            except sa.exc.SQLAlchemyError as error:
                db.session.rollback()
                app.logger.warning("job runner: database error %s", type(error).__name__)
                ran = 0
            finally:
                db.session.remove()
        if not ran:
            time.sleep(POLL_SECONDS)


def start_in_background(app: Flask) -> None:
    """One runner thread per process, started with the first request."""
    import os

    if os.getpid() in _started:  # the common case, checked without the lock
        return
    with _lock:
        if os.getpid() in _started:
            return
        _started.add(os.getpid())
    thread = threading.Thread(target=run_forever, args=(app,), name="job-runner", daemon=True)
    thread.start()
