"""Rate limits counted in the database, so every worker and host shares them."""

from __future__ import annotations

import datetime as dt
import math
import secrets

import sqlalchemy as sa

from .extensions import db
from .models import ThrottleHit, utcnow

KEEP = dt.timedelta(hours=1)
SWEEP_ONE_IN = 50


def count(key: str, window: dt.timedelta) -> int:
    since = utcnow() - window
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ThrottleHit)
        .where(ThrottleHit.key == key, ThrottleHit.created_at >= since)
    )


def over_limit(keys: list[str], limit: int, window: dt.timedelta) -> bool:
    return any(count(key, window) >= limit for key in keys)


def record(*keys: str) -> None:
    """Count one event under each key; old events are swept now and then."""
    now = utcnow()
    if secrets.randbelow(SWEEP_ONE_IN) == 0:
        db.session.execute(sa.delete(ThrottleHit).where(ThrottleHit.created_at < now - KEEP))
    db.session.add_all(ThrottleHit(key=key[:255], created_at=now) for key in keys)
    db.session.commit()


def retry_after(key: str, window: dt.timedelta) -> int:
    """Seconds until the oldest counted event leaves the window."""
    oldest = db.session.scalar(
        sa.select(sa.func.min(ThrottleHit.created_at)).where(
            ThrottleHit.key == key, ThrottleHit.created_at >= utcnow() - window
        )
    )
    if oldest is None:
        return 0
    return max(1, int((oldest + window - utcnow()).total_seconds()) + 1)


_COUNT = sa.text(
    "INSERT INTO rate_counters (bucket, window_start, hits) VALUES (:bucket, :window_start, :n) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "hits = CASE WHEN rate_counters.window_start = excluded.window_start "
    "THEN rate_counters.hits + excluded.hits ELSE excluded.hits END, "
    "window_start = excluded.window_start "
    "RETURNING hits"
).bindparams(
    sa.bindparam("bucket", type_=sa.String()),
    sa.bindparam("window_start", type_=sa.BigInteger()),
    sa.bindparam("n", type_=sa.Integer()),
)


def add_requests(conn, address: str | None, n: int, window: int) -> int:
    """Add `n` requests from `address` to the minute starting at `window`
    (epoch seconds); the minute's count, every process's requests included."""
    return conn.execute(
        _COUNT, {"bucket": f"register:{address or '-'}"[:255], "window_start": window, "n": n}
    ).scalar_one()


def locked_for(
    key: str, limit: int, first: dt.timedelta, longest: dt.timedelta, memory: dt.timedelta = KEEP
) -> int:
    """Seconds `key` must still wait under a growing lockout: from its
    `limit`-th event within `memory` on, the newest event locks it for `first`,
    doubled for each event beyond the limit, never longer than `longest`."""
    events, newest = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(ThrottleHit.created_at)).where(
            ThrottleHit.key == key, ThrottleHit.created_at >= utcnow() - memory
        )
    ).one()
    if events < limit:
        return 0
    lock = min(first * 2 ** min(events - limit, 20), longest)
    left = (newest + lock - utcnow()).total_seconds()
    return max(0, math.ceil(left))


def forget(key: str) -> None:
    """Drop every counted event of `key` (a successful login clears its failures)."""
    db.session.execute(sa.delete(ThrottleHit).where(ThrottleHit.key == key))
    db.session.commit()
