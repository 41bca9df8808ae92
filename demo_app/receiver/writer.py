"""Storing what the receiver was sent: off the request, many requests a transaction.

The app posts on every page load, so the receiver is the site's hot path, and
most of its cost is the transaction: BEGIN, the per-address count, the device,
the capture, COMMIT, each waiting its turn for the database's one writer. So
a request does none of it. It is read and judged (`capture.py`), counted
against its sender's limit in memory, and handed to its process's writer
thread, which stores everything handed to it since its last write in one
transaction: the per-address counts one statement per address, the devices,
the captures one multi-row INSERT, one COMMIT. Retention (`prune`) runs there
too, never in a request.

By default the request is answered as soon as its capture is queued, with the
capture's key (`capture_key`, also the inspector link); the capture is stored
a few milliseconds later. With RECEIVER_CONFIRM_STORED the answer waits until
the capture is committed and names its id, or says the capture went to the
capture log. A capture the database refuses is written again alone, then
without its device and parsed copy, then to the capture log, so one bad row
never costs the others their place. The writer stops after IDLE seconds
without work and starts again with the next request; a worker that exits
(gunicorn's graceful stop) stores what is queued first.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref

import sqlalchemy as sa
from flask import Flask, current_app

from .. import throttle
from ..database import write_lock
from ..devices import service as devices
from ..extensions import db
from ..models import Capture
from .capture import Received
from .store import Journal, append_to_log, import_journals, journal_line, prune

INSERT_CAPTURE = sa.insert(Capture.__table__).returning(
    Capture.__table__.c.id, sort_by_parameter_order=True
)

DEVICE_IDS_KEPT = 10_000
PRUNE_EVERY = 500  # captures between two retention runs


class _Ticket:
    __slots__ = ("received", "capture_id", "retry_after", "done")

    def __init__(self, received: Received, confirm: bool):
        self.received = received
        self.capture_id: int | None = None
        self.retry_after = 0
        # set once written, for a request that waits for its capture
        self.done = threading.Event() if confirm else None


class Counts:
    """Requests per sender address in the current minute, as this process
    sees them: what the database said at the last write, plus what this
    process took since. A request is judged here, at once; the writer adds
    what was taken to the shared count with each write and reads back every
    process's total. Other processes' requests thus count from their
    process's next write on: a few milliseconds under load."""

    KEPT = 50_000  # addresses remembered; beyond, the oldest minute is dropped

    def __init__(self):
        self._lock = threading.Lock()
        self._window = 0
        self._known: dict[str, int] = {}  # address -> total at the last write
        self._taken: dict[str, int] = {}  # address -> taken here since

    def take(self, address: str | None, per_minute: int) -> int:
        """Count one request from `address`: 0 if it is within `per_minute`,
        else the seconds until the minute ends (Retry-After). Requests over
        the limit are counted too."""
        now = time.time()
        window = int(now // 60) * 60
        key = address or "-"
        with self._lock:
            if window != self._window or len(self._known) > self.KEPT:
                self._window, self._known, self._taken = window, {}, {}
            taken = self._taken.get(key, 0) + 1
            self._taken[key] = taken
            if self._known.get(key, 0) + taken <= per_minute:
                return 0
        return max(1, int(window + 60 - now + 0.999))

    def pending(self) -> bool:
        with self._lock:
            return bool(self._taken)

    def merge(self, conn) -> None:
        """Add what this process took to the shared counts, on `conn` (the
        writer's transaction), and read back every process's totals."""
        with self._lock:
            window, taken, self._taken = self._window, self._taken, {}
        if not taken or window != int(time.time() // 60) * 60:
            return  # a minute that is over no longer matters
        # If this write fails, the counts are not kept for the next one: they
        # only feed the limit, and a database that is down must not keep the
        # writer busy.
        totals = {a: throttle.add_requests(conn, a, n, window) for a, n in taken.items()}
        with self._lock:
            if self._window == window:
                for address, total in totals.items():
                    self._known[address] = total


class Writer:
    """One per app and process: the queue and the thread that empties it."""

    IDLE = 5.0  # seconds without work before the thread stops
    # Requests arriving faster than the database takes them wait for room:
    # the queue never holds more than this (memory, and what a crash risks).
    MAX_QUEUED = 1000

    def __init__(self, app: Flask):
        self._app = weakref.ref(app)
        self._reset()
        _writers.add(self)

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._changed = threading.Condition()
        self._queue: list[_Ticket] = []
        self._thread: threading.Thread | None = None
        self._writing = False
        self.counts = Counts()
        # subscription id -> device id: device rows are never deleted, and an
        # app posts the same device on every page load, so a device seen once
        # by this process costs no further statement. Emptied when a write
        # fails, in case a stale id was the cause.
        self.device_ids: dict[str, int] = {}
        self._stored = 0
        app = self._app()
        self._journal_folder = os.path.join(app.instance_path, "journal") if app else ""
        self.journal = Journal(self._journal_folder)

    def take(self, address: str | None, per_minute: int) -> int:
        """Count a request against its sender's limit: 0, or Retry-After."""
        self._check_fork()
        if per_minute <= 0:
            return 0
        retry_after = self.counts.take(address, per_minute)
        if retry_after:
            self._wake()  # the count still reaches the database
        return retry_after

    def submit(self, received: Received, confirm: bool) -> _Ticket:
        """Queue `received` for the writer. With `confirm`, return once it
        is written: `capture_id` is then its id, or None when the database
        could not take it (the caller keeps it in the capture log)."""
        self._check_fork()
        ticket = _Ticket(received, confirm)
        # Answered before it is stored: kept in the journal until it is.
        line = None if confirm else journal_line(received.columns(), received.body)
        with self._changed:
            while len(self._queue) >= self.MAX_QUEUED:
                self._start()
                self._changed.wait(0.05)
            if line is not None:
                try:
                    self.journal.append(line)
                except OSError as error:
                    current_app.logger.error("capture journal not writable: %s", error)
            self._queue.append(ticket)
            self._start()
            self._changed.notify()
        if ticket.done is not None:
            ticket.done.wait()
        return ticket

    def queued(self) -> int:
        """How many captures wait for the writer now."""
        with self._changed:
            return len(self._queue)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._queue or self._writing or self.counts.pending():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._start()
                self._changed.notify()
                self._changed.wait(min(left, 0.05))
        return True

    def _wake(self) -> None:
        with self._changed:
            self._start()
            self._changed.notify()

    def _check_fork(self) -> None:
        # A process forked from one with a writer starts with its own.
        if self._pid != os.getpid():
            self._reset()

    def _start(self) -> None:
        """Start the thread if it is not running (the caller holds _changed)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="capture-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        app = self._app()
        if app is None:
            return
        with app.app_context():
            self._load_orphans()
            while True:
                with self._changed:
                    while not self._queue and not self.counts.pending():
                        idle = not self._changed.wait(self.IDLE)
                        if idle and not self._queue and not self.counts.pending():
                            self._thread = None
                            return
                    batch, self._queue = self._queue, []
                    segment = self.journal.cut()
                    self._writing = True
                try:
                    self._write(batch)
                    Journal.discard(segment)
                finally:
                    with self._changed:
                        self._writing = False
                        self._changed.notify_all()

    def _write(self, batch: list[_Ticket]) -> None:
        try:
            _write(batch, self)
            self._keep_in_log([t for t in batch if t.done is None and t.capture_id is None])
            self._prune_now_and_then(sum(t.capture_id is not None for t in batch))
        except Exception:  # noqa: BLE001 - the writer thread must go on
            current_app.logger.exception("capture writer failed")
            self._keep_in_log([t for t in batch if t.done is None and t.capture_id is None])
        finally:
            db.session.remove()
            for ticket in batch:
                if ticket.done is not None:
                    ticket.done.set()

    def _load_orphans(self) -> None:
        """Captures answered by workers of this host that are gone."""
        try:
            added, _ = import_journals(self._journal_folder)
        except (OSError, sa.exc.SQLAlchemyError) as error:
            db.session.rollback()
            current_app.logger.error("journals of stopped workers not loaded: %s", error)
            return
        finally:
            db.session.remove()
        if added:
            current_app.logger.warning("loaded %d captures a stopped worker had answered", added)

    def _keep_in_log(self, tickets: list[_Ticket]) -> None:
        """Captures already answered that the database would not take."""
        for ticket in tickets:
            received = ticket.received
            try:
                append_to_log(received.columns(), received.masked_headers, received.body)
            except OSError as error:
                current_app.logger.error(
                    "capture %s lost: the capture log is not writable (%s)",
                    received.log_key, error,
                )  # fmt: skip

    def _prune_now_and_then(self, stored: int) -> None:
        before, self._stored = self._stored, self._stored + stored
        if stored and before // PRUNE_EVERY != self._stored // PRUNE_EVERY:
            config = current_app.config
            try:
                prune(config["CAPTURE_MAX_COUNT"], config["CAPTURE_MAX_DAYS"])
            except sa.exc.SQLAlchemyError as error:
                db.session.rollback()
                current_app.logger.warning("capture pruning failed: %s", type(error).__name__)


_writers: weakref.WeakSet[Writer] = weakref.WeakSet()


@atexit.register
def _store_what_is_queued() -> None:
    """A worker that exits stores its queued captures first."""
    for writer in list(_writers):
        if writer._pid == os.getpid():
            writer.flush(timeout=10.0)


def _write(batch: list[_Ticket], writer: Writer) -> None:
    """Write `batch` and the counts in one transaction; on failure, each
    capture alone."""
    try:
        with write_lock(), db.engine.begin() as conn:
            writer.counts.merge(conn)
            _store(conn, batch, writer.device_ids)
        return
    except sa.exc.SQLAlchemyError as error:
        what = f"batch of {len(batch)}" if batch else "request counts"
        current_app.logger.warning("%s not saved: %s", what, type(error).__name__)
    writer.device_ids.clear()
    for ticket in batch:
        ticket.capture_id = None
        _write_alone(ticket, again=len(batch) > 1)


def _write_alone(ticket: _Ticket, again: bool) -> None:
    """`again`: first try the whole write once more, this request alone."""
    if again:
        try:
            with write_lock(), db.engine.begin() as conn:
                _store(conn, [ticket], {})
            return
        except sa.exc.SQLAlchemyError as error:
            current_app.logger.warning("capture not saved with device: %s", type(error).__name__)
    # Without the parsed copy and the device: what made the write fail is
    # most likely there, and the request itself must not be lost.
    received = ticket.received
    received.parsed, received.device_id = None, None
    received.problems = [*received.problems, "The device or parsed body could not be saved."]
    try:
        with write_lock(), db.engine.begin() as conn:
            ticket.capture_id = conn.execute(INSERT_CAPTURE, received.columns()).scalar_one()
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.error("capture kept in the log only: %s", type(error).__name__)


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
