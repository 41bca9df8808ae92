"""The capture log: where a capture goes when the database cannot take it.

When the database cannot take a capture (down, or refusing the row) it is
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
import datetime as dt
import glob
import json
import os
import secrets

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Capture, CaptureTombstone, Endpoint, User, utcnow
from .capture import CAPTURE_COLUMNS
from .masking import mask_cookies

# A line holds every column but the body (base64, as `body_b64`: bytes) and
# the device id (a row of the database that failed: the import finds nothing
# to link it to).
LOG_FIELDS = tuple(c for c in CAPTURE_COLUMNS if c not in ("body", "device_id"))


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
    those older than CAPTURE_MAX_DAYS (the caller then runs retention, so
    nothing beyond CAPTURE_MAX_COUNT stays either). Returns (added, seen)."""
    cutoff = _cutoff(current_app.config["CAPTURE_MAX_DAYS"])
    added = seen = 0
    for claimed in _claim(path):
        for record in read_log(claimed):
            seen += 1
            if cutoff is not None and record["received_at"] < cutoff:
                continue
            if _known(record["log_key"]):
                continue
            fields = {k: record.get(k) for k in (*LOG_FIELDS, "body")}
            if fields.get("endpoint_id") and not _same_endpoint(fields):
                continue  # its endpoint was deleted, and its captures with it
            if fields.get("user_id") and not db.session.get(User, fields["user_id"]):
                fields["user_id"] = None
            added += _add(fields)
        os.unlink(claimed)
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


def capture_line(record: dict, body: bytes | None) -> bytes:
    """One JSON line of capture fields, secrets masked by the caller (ASCII
    only: no raw newline can be in it)."""
    line = {k: record.get(k) for k in LOG_FIELDS}
    line["received_at"] = record["received_at"].isoformat()
    line["body_b64"] = base64.b64encode(body).decode("ascii") if body is not None else None
    return (json.dumps(line, ensure_ascii=True, default=str) + "\n").encode("ascii")


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
