"""Keeping captures: a row in the database, or a line in the fallback log.

When the database cannot take a capture (down, or failing mid-write) it is
appended to the capture log as one JSON line instead, secrets masked, and the
sender is told so; `flask --app wsgi captures import-log` loads such lines
later. The log is written only then, so it holds no second copy of what the
database keeps, and retention covers it too: it is rotated at
CAPTURE_LOG_MAX_BYTES, `captures prune` applies CAPTURE_MAX_DAYS and
CAPTURE_MAX_COUNT to it, and an import never brings back a capture that
retention or a person deleted.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import glob
import json
import os
import secrets

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Capture, CaptureTombstone, Endpoint, User, utcnow
from .masking import mask_cookies

CAPTURE_FIELDS = (
    "received_at", "method", "path", "label", "query_string", "remote_addr", "content_type",
    "headers", "cookies", "body_size", "parsed", "platform", "status", "http_status",
    "problems", "session_hash", "user_id", "endpoint_id", "log_key", "search_text", "reply",
)  # fmt: skip


def append_to_log(record: dict, masked_headers: list, body: bytes | None) -> None:
    """One line, one write() on an O_APPEND descriptor: lines from several
    workers never interleave. A line that would take the log past
    CAPTURE_LOG_MAX_BYTES rotates it to `<log>.1` first (replacing the previous
    one), so the two never hold more than twice that."""
    cookies = mask_cookies(record["cookies"], current_app, record["headers"])
    data = capture_line({**record, "headers": masked_headers, "cookies": cookies}, body)
    path = current_app.config["CAPTURE_LOG"]
    _rotate_if_full(path, current_app.config["CAPTURE_LOG_MAX_BYTES"], len(data))
    _append(path, data)


def _append(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _rotate_if_full(path: str, max_bytes: int, incoming: int) -> None:
    """Rotate before a line that would take the log past `max_bytes`."""
    try:
        if max_bytes > 0 and os.stat(path).st_size + incoming > max_bytes:
            os.replace(path, path + ".1")
    except FileNotFoundError:
        pass  # not written yet, or another worker rotated it just now


def _claim(path: str) -> list[str]:
    """Move the log and its rotated part out of the writers' way (atomic
    renames: a worker appending meanwhile starts a new log) and return the
    claimed files, oldest first, with any left by an interrupted run."""
    claimed = sorted(glob.glob(glob.escape(path) + ".claimed-*"))
    for source in (path + ".1", path):
        target = f"{path}.claimed-{utcnow():%Y%m%d%H%M%S%f}-{secrets.token_hex(3)}"
        try:
            os.replace(source, target)
        except FileNotFoundError:
            continue
        claimed.append(target)
    return claimed


def read_log(path: str):
    """Yield capture records from one log file; a torn line is skipped."""
    try:
        handle = open(path, encoding="ascii", errors="replace")  # noqa: SIM115
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            record = _parse_line(line)
            if record is not None:
                yield record


def _parse_line(line: str) -> dict | None:
    try:
        data = json.loads(line)
        if not isinstance(data, dict) or not data.get("log_key"):
            return None
        body = data.pop("body_b64", None)
        data["body"] = base64.b64decode(body) if body is not None else None
        data["received_at"] = dt.datetime.fromisoformat(data["received_at"])
    except (ValueError, TypeError, KeyError):
        return None
    return data


def _cutoff(max_days: int) -> dt.datetime | None:
    return utcnow() - dt.timedelta(days=max_days) if max_days > 0 else None


def import_log(path: str) -> tuple[int, int]:
    """Load the logged captures the database is missing, then remove the log.

    Skipped: captures already stored, those deleted since (tombstones) and
    those older than CAPTURE_MAX_DAYS; retention runs afterwards, so nothing
    beyond CAPTURE_MAX_COUNT stays either. Returns (added, seen)."""
    return _import(_claim(path))


def import_journals(folder: str) -> tuple[int, int]:
    """Load the captures that workers which are gone had answered but not yet
    stored (their journals), as `import_log` does. Returns (added, seen)."""
    with _orphan_journals(folder) as claimed:
        return _import(claimed)


def _import(claimed_files: list[str]) -> tuple[int, int]:
    config = current_app.config
    cutoff = _cutoff(config["CAPTURE_MAX_DAYS"])
    added = seen = 0
    for claimed in claimed_files:
        for record in read_log(claimed):
            seen += 1
            if cutoff is not None and record["received_at"] < cutoff:
                continue
            if _known(record["log_key"]):
                continue
            fields = {k: record.get(k) for k in (*CAPTURE_FIELDS, "body")}
            if fields.get("endpoint_id") and not _same_endpoint(fields):
                continue  # its endpoint was deleted, and its captures with it
            if fields.get("user_id") and not db.session.get(User, fields["user_id"]):
                fields["user_id"] = None
            added += _add(fields)
        os.unlink(claimed)
    if added:
        prune(config["CAPTURE_MAX_COUNT"], config["CAPTURE_MAX_DAYS"])
    return added, seen


def _add(fields: dict) -> int:
    """Store one logged capture; if the database refuses it, once more without
    its parsed copy (the likeliest cause), else skip it and say so. 1 if added."""
    for attempt in (fields, {**fields, "parsed": None}):
        try:
            db.session.add(Capture(**attempt))
            db.session.commit()
            return 1
        except sa.exc.SQLAlchemyError as error:
            db.session.rollback()
            reason = type(error).__name__
    current_app.logger.error("logged capture %s not loaded: %s", fields.get("log_key"), reason)
    return 0


class Journal:
    """The captures one process has answered and not yet stored, so that a
    worker killed in between (a timeout, the OOM killer) loses none of them.

    One JSON line each, in the capture log's format but whole (cookies and
    headers as received: the database keeps them so too), appended with one
    write() before the answer. Writes go to a segment file, which its process
    holds an flock() on while it is open; the writer starts a new segment when
    it takes a batch and deletes the old one once that batch is stored (or in
    the capture log), so a segment holds only what is not yet kept elsewhere.
    A segment nobody holds a lock on is an orphan: its process is gone. The
    next writer to start loads orphans, as does `captures import-log`.
    Files are `<random>.jsonl`, 0600, in a 0700 folder.
    """

    def __init__(self, folder: str):
        self.folder = folder
        self._fd: int | None = None
        self._path: str | None = None

    def append(self, line: bytes) -> None:
        if self._fd is None:
            self._open()
        os.write(self._fd, line)

    def _open(self) -> None:
        os.makedirs(self.folder, mode=0o700, exist_ok=True)
        if os.stat(self.folder).st_mode & 0o077:
            os.chmod(self.folder, 0o700)
        path = os.path.join(self.folder, f"{secrets.token_hex(8)}.jsonl")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        self._fd, self._path = fd, path

    def cut(self) -> str | None:
        """End the current segment; later lines start a new one. Returns the
        ended segment's path (None if nothing was written)."""
        if self._fd is None:
            return None
        path, fd, self._fd, self._path = self._path, self._fd, None, None
        with contextlib.suppress(OSError):
            os.close(fd)  # and with it the lock
        return path

    @staticmethod
    def discard(path: str | None) -> None:
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)


def capture_line(record: dict, body: bytes | None) -> bytes:
    """One JSON line of capture fields, for the journal as received and for
    the capture log masked (ASCII only: no raw newline can be in it)."""
    line = {k: record.get(k) for k in CAPTURE_FIELDS}
    line["received_at"] = record["received_at"].isoformat()
    line["body_b64"] = base64.b64encode(body).decode("ascii") if body is not None else None
    return (json.dumps(line, ensure_ascii=True, default=str) + "\n").encode("ascii")


@contextlib.contextmanager
def _orphan_journals(folder: str):
    """Journal segments no process holds (their writers are gone, or so is an
    importer that claimed them), each renamed under this process's lock so
    that one importer takes each; the locks are held until the block ends."""
    claimed: list[tuple[str, int]] = []
    try:
        for path in sorted(glob.glob(os.path.join(glob.escape(folder), "*.jsonl*"))):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                target = os.path.join(folder, f"{secrets.token_hex(8)}.jsonl.claimed")
                os.replace(path, target)
            except (BlockingIOError, FileNotFoundError):
                os.close(fd)  # a live writer's or importer's, or just taken
                continue
            claimed.append((target, fd))
        yield [path for path, _ in claimed]
    finally:
        for _, fd in claimed:
            os.close(fd)


def _same_endpoint(fields: dict) -> bool:
    """Whether the endpoint a logged capture was sent to still exists. SQLite
    can give a new endpoint a deleted one's id, so the id alone is not enough:
    an endpoint made after the capture was received is another endpoint."""
    endpoint = db.session.get(Endpoint, fields["endpoint_id"])
    return endpoint is not None and endpoint.created_at <= fields["received_at"]


def _known(log_key: str) -> bool:
    stored = sa.exists().where(Capture.log_key == log_key)
    deleted = sa.exists().where(CaptureTombstone.log_key == log_key)
    return bool(db.session.scalar(sa.select(sa.or_(stored, deleted))))


def prune_log(path: str, max_count: int, max_days: int) -> int:
    """Apply retention to the log: lines older than `max_days` go, and all but
    the newest `max_count`. Returns how many lines were dropped."""
    cutoff = _cutoff(max_days)
    kept: list[tuple[dt.datetime, str]] = []
    dropped = 0
    claimed = _claim(path)
    for name in claimed:
        with open(name, encoding="ascii", errors="replace") as handle:
            for line in handle:
                record = _parse_line(line)
                if record is None or (cutoff is not None and record["received_at"] < cutoff):
                    dropped += 1
                    continue
                kept.append((record["received_at"], line if line.endswith("\n") else line + "\n"))
    if max_count > 0 and len(kept) > max_count:
        kept.sort(key=lambda item: item[0])
        dropped += len(kept) - max_count
        kept = kept[-max_count:]
    if kept:
        _append(path, "".join(line for _, line in kept).encode("ascii"))
    for name in claimed:
        os.unlink(name)
    return dropped


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
