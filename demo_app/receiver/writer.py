"""Storing what the receiver was sent: one transaction for many requests.

The app posts on every page load, so the receiver is the site's hot path, and
most of its cost is the transaction: BEGIN, the per-address count, the device,
the capture, COMMIT. Requests that arrive while another one is writing wait
for it and are then written together, in one transaction, by whichever of
them gets there first (group commit): the per-address count is one statement
per address, the captures one multi-row INSERT, the COMMIT one for all. A
request alone is written at once, so nothing waits for company.

Every request still gets its own answer: its capture id, or Throttled, or None
when the database could not take it (the caller then keeps it in the capture
log). A failing batch is retried one request at a time, so one bad row never
costs the others their place.
"""

from __future__ import annotations

import contextlib
import threading
import time

import sqlalchemy as sa
from flask import current_app

from .. import throttle
from ..database import write_lock
from ..devices import service as devices
from ..extensions import db
from ..models import Capture
from .capture import Received

INSERT_CAPTURE = sa.insert(Capture.__table__).returning(
    Capture.__table__.c.id, sort_by_parameter_order=True
)


DEVICE_IDS_KEPT = 10_000


class Throttled(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


class _Ticket:
    __slots__ = ("received", "capture_id", "retry_after", "done")

    def __init__(self, received: Received):
        self.received = received
        self.capture_id: int | None = None
        self.retry_after = 0
        self.done = False


class GroupCommit:
    """Leader and followers: the first waiting request writes everything queued.

    A writer first waits, at most LINGER seconds, for the requests this
    process is still reading (`expecting()`), so that under load they share
    its transaction; with nothing else in flight (one thread per worker, or a
    quiet site) it writes at once.
    """

    LINGER = 0.002

    def __init__(self):
        self._changed = threading.Condition()
        self._queue: list[_Ticket] = []
        self._writing = False
        self._coming = 0
        # subscription id -> device id: device rows are never deleted, and an
        # app posts the same device on every page load, so a device seen once
        # by this process costs no further statement. Emptied when a write
        # fails, in case a stale id was the cause.
        self.device_ids: dict[str, int] = {}

    @contextlib.contextmanager
    def expecting(self):
        """`with writer.expecting() as save: ... save(received)`: announce a
        request that will be saved, so a writer can wait for it."""
        with self._changed:
            self._coming += 1
        announced = [True]

        def save(received: Received) -> int | None:
            announced[0] = False
            return self._save(received)

        try:
            yield save
        finally:
            if announced[0]:
                with self._changed:
                    self._coming -= 1
                    self._changed.notify_all()

    def queued(self) -> int:
        """How many requests wait for a writer now."""
        with self._changed:
            return len(self._queue)

    def _save(self, received: Received) -> int | None:
        ticket = _Ticket(received)
        with self._changed:
            self._queue.append(ticket)
            self._coming -= 1
            self._changed.notify_all()
            while self._writing and not ticket.done:
                self._changed.wait()
            if not ticket.done:
                self._writing = True
                deadline = time.monotonic() + self.LINGER
                while self._coming > 0 and (left := deadline - time.monotonic()) > 0:
                    self._changed.wait(left)
                batch, self._queue = self._queue, []
        if not ticket.done:
            try:
                _write(batch, self.device_ids)
            finally:
                with self._changed:
                    for each in batch:
                        each.done = True
                    self._writing = False
                    self._changed.notify_all()
        if ticket.retry_after:
            raise Throttled(ticket.retry_after)
        return ticket.capture_id


def _write(batch: list[_Ticket], device_ids: dict[str, int]) -> None:
    """Write `batch` in one transaction; on failure, each one alone."""
    db.session.rollback()  # end the request's read transaction, if any
    per_minute = current_app.config["REGISTER_LIMIT_PER_MINUTE"]
    try:
        with write_lock(), db.engine.begin() as conn:
            _count(conn, batch, per_minute)
            _store(conn, [t for t in batch if not t.retry_after], device_ids)
        return
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.warning("batch of %d not saved: %s", len(batch), type(error).__name__)
    device_ids.clear()
    for ticket in batch:
        ticket.retry_after, ticket.capture_id = 0, None
        _write_alone(ticket, per_minute, again=len(batch) > 1)


def _write_alone(ticket: _Ticket, per_minute: int, again: bool) -> None:
    """`again`: first try the whole write once more, this request alone."""
    if again:
        try:
            with write_lock(), db.engine.begin() as conn:
                _count(conn, [ticket], per_minute)
                if not ticket.retry_after:
                    _store(conn, [ticket], {})
            return
        except sa.exc.SQLAlchemyError as error:
            current_app.logger.warning("capture not saved with device: %s", type(error).__name__)
    # Without the parsed copy and the device: what made the write fail is
    # most likely there, and the request itself must not be lost.
    received = ticket.received
    received.parsed, received.device_id, ticket.retry_after = None, None, 0
    received.problems = [*received.problems, "The device or parsed body could not be saved."]
    try:
        with write_lock(), db.engine.begin() as conn:
            ticket.capture_id = conn.execute(INSERT_CAPTURE, received.columns()).scalar_one()
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.error("capture kept in the log only: %s", type(error).__name__)


def _count(conn, batch: list[_Ticket], per_minute: int) -> None:
    """Count each request under its sender's address; those over the limit
    are marked to be answered 429 (counted, not stored)."""
    if per_minute <= 0:
        return
    by_address: dict[str | None, list[_Ticket]] = {}
    for ticket in batch:
        by_address.setdefault(ticket.received.remote_addr, []).append(ticket)
    for address, tickets in by_address.items():
        waits = throttle.count_requests(conn, address, len(tickets), per_minute)
        for ticket, wait in zip(tickets, waits, strict=True):
            ticket.retry_after = wait


def _store(conn, tickets: list[_Ticket], device_ids: dict[str, int]) -> None:
    """Device, link and capture for each ticket, the captures in one INSERT."""
    if not tickets:
        return
    for ticket in tickets:
        received = ticket.received
        info = received.info
        if info is None:
            continue
        key = (info.subscription_id or "").lower()
        received.device_id = device_ids.get(key)
        if received.device_id is None:
            received.device_id = devices.upsert_device(conn, info)
            if received.device_id is not None and len(device_ids) < DEVICE_IDS_KEPT:
                device_ids[key] = received.device_id
        if received.device_id is not None and received.user_id is not None:
            devices.link(conn, received.user_id, received.device_id, "registration", info,
                         received.parsed)  # fmt: skip
    rows = [ticket.received.columns() for ticket in tickets]
    if len(rows) == 1:
        tickets[0].capture_id = conn.execute(INSERT_CAPTURE, rows[0]).scalar_one()
        return
    ids = conn.execute(INSERT_CAPTURE, rows).scalars().all()
    for ticket, capture_id in zip(tickets, ids, strict=True):
        ticket.capture_id = capture_id
