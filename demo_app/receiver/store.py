"""Keeping captures: one JSON line in the capture log, one row in the database.

The log line is written first, so a capture survives a database that is down
or fails mid-write; `flask --app wsgi captures import-log` loads such lines
later. Secrets (session cookies, Authorization) are masked in the log.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Capture, User, utcnow
from .masking import mask_cookies

CAPTURE_FIELDS = (
    "received_at", "method", "path", "label", "query_string", "remote_addr", "content_type",
    "headers", "cookies", "body_size", "parsed", "platform", "status", "http_status",
    "problems", "session_hash", "user_id", "log_key", "search_text",
)  # fmt: skip


def append_to_log(record: dict, masked_headers: list, body: bytes | None) -> None:
    """One line, one write() on an O_APPEND descriptor: lines from several
    workers never interleave."""
    line = {k: record.get(k) for k in CAPTURE_FIELDS}
    line["received_at"] = record["received_at"].isoformat()
    line["headers"] = masked_headers
    line["cookies"] = mask_cookies(record["cookies"], current_app, record["headers"])
    line["body_b64"] = base64.b64encode(body).decode("ascii") if body is not None else None
    data = (json.dumps(line, ensure_ascii=True, default=str) + "\n").encode("ascii")
    path = current_app.config["CAPTURE_LOG"]
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read_log(path: str):
    """Yield capture records from the log; a torn last line is skipped."""
    try:
        handle = open(path, encoding="ascii", errors="replace")  # noqa: SIM115
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if not isinstance(data, dict) or not data.get("log_key"):
                continue
            body = data.pop("body_b64", None)
            data["body"] = base64.b64decode(body) if body is not None else None
            data["received_at"] = dt.datetime.fromisoformat(data["received_at"])
            yield data


def import_log(path: str) -> tuple[int, int]:
    """Load every logged capture missing from the database. Returns (added, seen)."""
    added = seen = 0
    for record in read_log(path):
        seen += 1
        exists = db.session.scalar(
            sa.select(Capture.id).where(Capture.log_key == record["log_key"])
        )
        if exists:
            continue
        fields = {k: record.get(k) for k in (*CAPTURE_FIELDS, "body")}
        if fields.get("user_id") and not db.session.get(User, fields["user_id"]):
            fields["user_id"] = None
        db.session.add(Capture(**fields))
        db.session.commit()
        added += 1
    return added, seen


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
    db.session.commit()
    return removed
