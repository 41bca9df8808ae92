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
from .store import Journal, append_to_log, capture_line, import_journals, prune

INSERT_CAPTURE = sa.insert(Capture.__table__).returning(
    Capture.__table__.c.id, sort_by_parameter_order=True
)

DEVICE_IDS_KEPT = 10_000
PRUNE_EVERY = 500  # captures between two retention runs


class _Ticket:
    __slots__ = ("received", "capture_id", "number", "done")

    def __init__(self, received: Received, confirm: bool):
        self.received = received
        self.capture_id: int | None = None
        self.number = 0  # its place in this process's queue, for flush()
        # set once written, for a request that waits for its capture
        self.done = threading.Event() if confirm else None


class Counts:
    """Requests per sender address in the current minute, as this process
    sees them: what the database said at the last write, plus what this
    process took since. A request is judged here, at once; the writer adds
    what was taken to the shared count with each write and reads back every
    process's total. Other processes' requests thus count from their
    process's next write on: a few milliseconds under load."""

    KEPT = 50_000  # addresses remembered in one minute; beyond, the known totals go

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
            if window != self._window:
                self._window, self._known, self._taken = window, {}, {}
            elif len(self._known) > self.KEPT:
                self._known = {}  # what is taken here still counts
            taken = self._taken.get(key, 0) + 1
            self._taken[key] = taken
            if self._known.get(key, 0) + taken <= per_minute:
                return 0
        return max(1, int(window + 60 - now + 0.999))

    def pending(self) -> bool:
        with self._lock:
            return bool(self._taken)

    def merge(self, conn) -> tuple[int, dict[str, int]] | None:
        """Add what this process took to the shared counts, on `conn` (the
        writer's transaction), and read back every process's totals. Returns
        what was added, for `give_back` if the transaction fails."""
        with self._lock:
            window, taken, self._taken = self._window, self._taken, {}
        if not taken or window != int(time.time() // 60) * 60:
            return None  # a minute that is over no longer matters
        totals = {a: throttle.add_requests(conn, a, n, window) for a, n in taken.items()}
        with self._lock:
            if self._window == window:
                for address, total in totals.items():
                    self._known[address] = max(self._known.get(address, 0), total)
        return window, taken

    def give_back(self, merged: tuple[int, dict[str, int]] | None) -> None:
        """Counts whose transaction failed: added again with the next write."""
        if merged is None:
            return
        window, taken = merged
        with self._lock:
            if self._window == window:
                for address, n in taken.items():
                    self._taken[address] = self._taken.get(address, 0) + n


class Writer:
    """One per app and process: the queue and the thread that empties it."""

    IDLE = 5.0  # seconds without work before the thread stops
    # Requests arriving faster than the database takes them wait for room:
    # the queue never holds more than this (memory, and what a crash risks).
    MAX_QUEUED = 1000
    # The longest a request waits, for room or for its write (with
    # RECEIVER_CONFIRM_STORED); then it is kept in the capture log instead.
    # Under gunicorn's 30 s worker timeout.
    MAX_WAIT = 20.0
    RETRY_AFTER_FAILURE = 0.5  # seconds between writes while the database fails

    def __init__(self, app: Flask):
        self._app = weakref.ref(app)
        self._reset()
        _writers.add(self)

    def _reset(self) -> None:
        self._changed = threading.Condition()
        self._queue: list[_Ticket] = []
        self._thread: threading.Thread | None = None
        self._writing = False
        self._submitted = 0  # tickets queued, ever
        self._written = 0  # tickets the writer is done with, ever
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
        if per_minute <= 0:
            return 0
        retry_after = self.counts.take(address, per_minute)
        if retry_after:
            self._wake()  # the count still reaches the database
        return retry_after

    def submit(self, received: Received, confirm: bool) -> _Ticket | None:
        """Queue `received` for the writer. With `confirm`, return once it
        is written: `capture_id` is then its id, or None when the database
        could not take it. None when it could not be queued within MAX_WAIT
        (the queue stayed full) or, with `confirm`, was not written within
        it: the caller then keeps it in the capture log."""
        ticket = _Ticket(received, confirm)
        # Answered before it is stored: kept in the journal until it is.
        line = None if confirm else capture_line(received.columns(), received.body)
        deadline = time.monotonic() + self.MAX_WAIT
        with self._changed:
            while len(self._queue) >= self.MAX_QUEUED:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._start()
                self._changed.wait(min(left, 0.05))
            if line is not None:
                try:
                    self.journal.append(line)
                except OSError as error:
                    current_app.logger.error("capture journal not writable: %s", error)
            self._submitted += 1
            ticket.number = self._submitted
            self._queue.append(ticket)
            self._start()
            self._changed.notify()
        if ticket.done is not None and not ticket.done.wait(max(0.0, deadline - time.monotonic())):
            return None  # if it is written after all, importing the log adds nothing twice
        return ticket

    def queued(self) -> int:
        """How many captures wait for the writer now."""
        with self._changed:
            return len(self._queue)

    def flush(self, timeout: float = 10.0, counts: bool = True) -> bool:
        """Wait until every capture queued before this call is written (and,
        with `counts`, every request counted); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            target = self._submitted
            while self._written < target or (counts and self.counts.pending()):
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

    def _start(self) -> None:
        """Start the thread if it is not running (the caller holds _changed)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="capture-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            app = self._app()
            if app is not None:
                with app.app_context():
                    self._load_orphans()
                    self._loop()
        except BaseException:  # noqa: BLE001 - logged; the next request starts a new thread
            if (app := self._app()) is not None:
                app.logger.exception("capture writer stopped")
        finally:
            with self._changed:
                if self._thread is threading.current_thread():
                    self._thread = None
                self._changed.notify_all()

    def _loop(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self.counts.pending():
                    idle = not self._changed.wait(self.IDLE)
                    if idle and not self._queue and not self.counts.pending():
                        return
                batch, self._queue = self._queue, []
                segment = self.journal.cut()
                self._writing = True
            try:
                out_of_reach, kept = self._write(batch)
            finally:
                with self._changed:
                    self._writing = False
                    self._written += len(batch)
                    self._changed.notify_all()
            if kept:
                Journal.discard(segment)  # all of it stored, or in the capture log
            if out_of_reach:
                time.sleep(self.RETRY_AFTER_FAILURE)  # not in a loop while the database is down

    def _write(self, batch: list[_Ticket]) -> tuple[bool, bool]:
        """Store `batch`. (whether the database was out of reach, whether
        every capture answered before its write is now in the database or the
        capture log: if not, its journal segment is kept)."""
        out_of_reach, kept = False, False
        try:
            out_of_reach = _write(batch, self)
            kept = self._keep_in_log([t for t in batch if t.done is None and t.capture_id is None])
            self._prune_now_and_then(sum(t.capture_id is not None for t in batch))
        except Exception:  # noqa: BLE001 - the writer thread must go on
            current_app.logger.exception("capture writer failed")
            for ticket in batch:
                ticket.capture_id = None
            kept = self._keep_in_log([t for t in batch if t.done is None])
        finally:
            db.session.remove()
            for ticket in batch:
                if ticket.done is not None:
                    ticket.done.set()
        return out_of_reach, kept

    def _load_orphans(self) -> None:
        """Captures answered by workers that are gone."""
        try:
            added, _ = import_journals(self._journal_folder)
        except (OSError, sa.exc.SQLAlchemyError) as error:
            db.session.rollback()
            current_app.logger.error(
                "journals of stopped workers not loaded: %s", type(error).__name__
            )
            return
        finally:
            db.session.remove()
        if added:
            current_app.logger.warning("loaded %d captures a stopped worker had answered", added)

    def _keep_in_log(self, tickets: list[_Ticket]) -> bool:
        """Captures already answered that the database would not take; False
        if one could not be written there either."""
        kept = True
        for ticket in tickets:
            received = ticket.received
            try:
                append_to_log(received.columns(), received.masked_headers, received.body)
            except OSError as error:
                kept = False
                current_app.logger.error(
                    "capture %s not in the capture log (%s): its journal is kept",
                    received.log_key, type(error).__name__,
                )  # fmt: skip
        return kept

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


def _after_fork() -> None:
    """A forked process starts with writers of its own (gunicorn --preload)."""
    for writer in list(_writers):
        writer._reset()


os.register_at_fork(after_in_child=_after_fork)


@atexit.register
def _store_what_is_queued() -> None:
    """A worker that exits stores its queued captures first (not its request
    counts: they only feed the limit of a minute that ends with it)."""
    for writer in list(_writers):
        writer.flush(timeout=10.0, counts=False)


def _write(batch: list[_Ticket], writer: Writer) -> bool:
    """Write `batch` and the counts in one transaction. If the database
    refuses a row, each capture again alone; if it is out of reach (down,
    locked: True is returned), none: they go to the capture log."""
    merged = None
    try:
        with write_lock(), db.engine.begin() as conn:
            merged = writer.counts.merge(conn)
            ids = _store(conn, batch, writer.device_ids)
        for ticket, capture_id in zip(batch, ids, strict=True):
            ticket.capture_id = capture_id
        return False
    except sa.exc.SQLAlchemyError as error:
        what = f"batch of {len(batch)}" if batch else "request counts"
        current_app.logger.warning("%s not saved: %s", what, type(error).__name__)
        if isinstance(error, sa.exc.OperationalError):
            # Out of reach: the counts are dropped (they only feed the limit,
            # and must not keep the writer busy while the database is down).
            return True
        writer.counts.give_back(merged)  # a refused row: counted with the next write
    writer.device_ids.clear()
    for ticket in batch:
        _write_alone(ticket, again=len(batch) > 1)
    return False


def _write_alone(ticket: _Ticket, again: bool) -> None:
    """`again`: first try the whole write once more, this request alone."""
    if again:
        try:
            with write_lock(), db.engine.begin() as conn:
                [capture_id] = _store(conn, [ticket], {})
            ticket.capture_id = capture_id  # committed
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
            capture_id = conn.execute(INSERT_CAPTURE, received.columns()).scalar_one()
        ticket.capture_id = capture_id  # committed
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.error("capture kept in the log only: %s", type(error).__name__)


def _store(conn, tickets: list[_Ticket], device_ids: dict[str, int]) -> list[int]:
    """Device, link and capture for each ticket, the captures in one INSERT;
    their ids, in order (valid once `conn`'s transaction commits)."""
    if not tickets:
        return []
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
        return [conn.execute(INSERT_CAPTURE, rows[0]).scalar_one()]
    return list(conn.execute(INSERT_CAPTURE, rows).scalars().all())
