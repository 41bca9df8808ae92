"""Storing a capture: one ordinary transaction, in the request.

`save()` runs once per receiver request, after `capture.py` has read and
judged it. In one transaction it

1. counts the request against its sender address's per-minute limit (one
   upsert on `rate_counters`, so every worker and host shares the count); a
   request over the limit is counted and not stored (`Throttled`);
2. stores the device the payload names, and links it to the logged-in
   sender (strategy 1b of personalised push);
3. inserts the capture, whose id the answer names.

On SQLite the transaction is taken under `write_lock()` (an flock shared by
every worker process): SQLite lets one writer in at a time, and a writer
waiting in SQLite's own busy handler sleeps in growing steps, while one
waiting for the lock is woken the moment it is free (measured under `make
serve`: p99 of an anonymous POST 20 ms with it, 300 ms without).

If the database cannot take it (down, locked too long, or refusing the row),
nothing of it is kept there: the capture goes to the capture log instead
(`capture_log.py`, loaded later by `flask captures import-log`) and `save()`
returns None. Retention (`prune`) runs off the request: in the job runner
and in `flask captures prune`.
"""

from __future__ import annotations

import datetime as dt
import math
import time

import sqlalchemy as sa
from flask import current_app

from .. import throttle
from ..database import write_lock
from ..devices import service as devices
from ..extensions import db
from ..models import Capture, CaptureTombstone, utcnow
from . import forward
from .capture import Received
from .capture_log import append_to_log

INSERT_CAPTURE = sa.insert(Capture.__table__).returning(Capture.__table__.c.id)


class Throttled(Exception):
    """Over the sender address's limit: counted, not stored."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def save(received: Received) -> int | None:
    """Store `received` and return its capture id; None when the database
    could not take it and it was kept in the capture log. Raises Throttled,
    or OSError when the capture log could not take it either."""
    try:
        with write_lock():
            capture_id = _insert(received)
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning("capture not stored: %s", type(error).__name__)
        received.device_id = None  # its row, if any, was rolled back
        append_to_log(received.columns(), received.masked_headers, received.body)
        return None
    return capture_id


def _insert(received: Received) -> int:
    conn = db.session.connection()
    per_minute = current_app.config["REGISTER_LIMIT_PER_MINUTE"]
    if per_minute > 0:
        now = time.time()
        window = int(now // 60) * 60
        if throttle.add_requests(conn, received.remote_addr, 1, window) > per_minute:
            db.session.commit()  # the count stands; the capture is not stored
            raise Throttled(max(1, math.ceil(window + 60 - now)))
    info = received.info
    if info is not None:
        received.device_id = devices.upsert_device(conn, info)
        if received.device_id is not None and received.user_id is not None:
            devices.link(conn, received.user_id, received.device_id, "registration", info,
                         received.parsed)  # fmt: skip
    capture_id = conn.execute(INSERT_CAPTURE, received.columns()).scalar_one()
    db.session.commit()
    return capture_id


def note_forward(capture_id: int, exchange: dict, answered: bool) -> None:
    """Add a forward's exchange to its stored capture; `answered`: the app got
    the backend's answer, which the capture's status then says."""
    capture = db.session.get(Capture, capture_id)
    if capture is None:
        return  # deleted meanwhile
    capture.forwards = forward.kept(capture.forwards, exchange)
    if answered:
        capture.http_status, capture.reply = exchange["status"], None
    try:
        db.session.commit()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning("forward of capture %s not noted: %s", capture_id,
                                   type(error).__name__)  # fmt: skip


def prune(max_count: int, max_days: int) -> int:
    """Delete captures beyond the newest `max_count` and older than `max_days`."""
    removed = 0
    if max_days > 0:
        cutoff = utcnow() - dt.timedelta(days=max_days)
        removed += db.session.execute(
            sa.delete(Capture).where(Capture.received_at < cutoff)
        ).rowcount
    if max_count > 0:
        newest = db.session.scalar(sa.select(sa.func.max(Capture.id)))
        if newest is not None:
            # ids only grow, so "the newest N" are those above this line (a
            # deleted id inside the window only makes us keep slightly fewer).
            removed += db.session.execute(
                sa.delete(Capture).where(Capture.id <= newest - max_count)
            ).rowcount
    if max_days > 0:
        # a deleted capture older than this is refused by the import anyway
        db.session.execute(sa.delete(CaptureTombstone).where(CaptureTombstone.removed_at < cutoff))
    db.session.commit()
    return removed


def delete_captures(where) -> int:
    """Delete the captures matching `where`, remembering their log keys so
    `captures import-log` never brings them back. The caller commits."""
    db.session.execute(
        sa.insert(CaptureTombstone).from_select(
            ["log_key"], sa.select(Capture.log_key).where(where, Capture.log_key.is_not(None))
        )
    )
    return db.session.execute(sa.delete(Capture).where(where)).rowcount
