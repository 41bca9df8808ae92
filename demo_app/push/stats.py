"""Did it arrive? What OneSignal counted for a push (View message).

The counts fill in over seconds to minutes, so /notifications asks again for
pushes young enough to still change (PUSH_STATS_HOURS), at most once per
PUSH_STATS_INTERVAL seconds per push. The time of the last question is kept on
the push's row and claimed with one conditional UPDATE, so two hosts (or two
tabs) opening the page together ask OneSignal once, not twice.
"""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import PushLog, utcnow
from ..onesignal import client

MAX_PER_PAGE = 5  # pushes refreshed when /notifications opens
PAGE_BUDGET = 3.0  # seconds the page may spend asking, all of them together
FIELDS = ("successful", "failed", "errored", "converted", "received", "remaining",
          "completed_at", "queued_at", "canceled", "platform_delivery_stats")  # fmt: skip


def askable(push: PushLog) -> bool:
    return bool(push.notification_id) and push.outcome in ("sent", "partial")


def still_changing(push: PushLog, now: dt.datetime) -> bool:
    hours = current_app.config["PUSH_STATS_HOURS"]
    return now - push.created_at < dt.timedelta(hours=hours)


def _claim(push: PushLog, now: dt.datetime) -> bool:
    """True when this request may ask OneSignal about `push` now (and has
    recorded that it does); False when someone asked within the interval."""
    interval = dt.timedelta(seconds=current_app.config["PUSH_STATS_INTERVAL"])
    checked = PushLog.stats_checked_at
    claimed = db.session.execute(
        sa.update(PushLog)
        .where(PushLog.id == push.id)
        .where(sa.or_(checked.is_(None), checked <= now - interval))
        .values(stats_checked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    db.session.commit()
    return claimed == 1


def wait_for(push: PushLog, now: dt.datetime) -> int:
    """Seconds until `push` may be asked about again (0: now)."""
    if push.stats_checked_at is None:
        return 0
    interval = current_app.config["PUSH_STATS_INTERVAL"]
    left = interval - (now - push.stats_checked_at).total_seconds()
    return max(0, int(left + 0.999))


def refresh(push: PushLog, timeout: float | None = None) -> client.Lookup | None:
    """Ask OneSignal for `push`'s counts if the rate limit allows; None when
    it does not (someone asked within PUSH_STATS_INTERVAL)."""
    if not askable(push) or not _claim(push, utcnow()):
        return None
    found = client.view_message(push.notification_id, timeout)
    if found.ok:
        push.stats = {k: found.data.get(k) for k in FIELDS if k in found.data}
    elif found.outcome != "not_configured":
        push.stats = {**(push.stats or {}), "problem": found.summary}
    db.session.commit()
    return found


def refresh_recent(rows: list[PushLog]) -> None:
    """When /notifications opens: the newest pushes that can still change."""
    now = utcnow()
    due = [r for r in rows if askable(r) and still_changing(r, now) and wait_for(r, now) == 0]
    started = time.monotonic()
    for push in due[:MAX_PER_PAGE]:
        left = PAGE_BUDGET - (time.monotonic() - started)
        if left < 0.2:
            break  # a slow OneSignal never holds the page: the rest wait for the next open
        refresh(push, left)


def words(stats: dict | None) -> str | None:
    """The counts in words a QA engineer trusts."""
    if not stats or "successful" not in stats:
        return None

    def n(key):
        value = stats.get(key)
        return value if isinstance(value, int) else 0

    parts = [
        f"handed to Apple/Google: {n('successful')}",
        f"unsubscribed: {n('failed')}",
        f"errors: {n('errored')}",
        f"tapped: {n('converted')}",
    ]
    received = _received(stats)
    if received is not None:
        parts.append(f"confirmed on the phone: {received}")
    if n("remaining"):
        parts.append(f"still sending: {n('remaining')}")
    return " · ".join(parts)


NOT_RECORDED = "not recorded (a paid OneSignal feature)"


def _received(counts: dict) -> str | int | None:
    """`received` only where it means something: OneSignal records it on
    paid plans alone, and a free app always answers 0 (or nothing), which is
    not "none arrived" when pushes were handed to Apple/Google."""
    value = counts.get("received")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    successful = counts.get("successful")
    if isinstance(successful, int) and successful > 0:
        return NOT_RECORDED
    return None


def per_platform(stats: dict | None) -> list[tuple[str, str]]:
    found = (stats or {}).get("platform_delivery_stats")
    if not isinstance(found, dict):
        return []
    names = {"ios": "iOS", "android": "Android"}
    rows = []
    for platform, counts in found.items():
        if isinstance(counts, dict):
            text = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()
                             if isinstance(v, int | float) and k != "received")  # fmt: skip
            received = _received(counts)
            if received is not None:
                text += f", received {received}"
            rows.append((names.get(str(platform), str(platform)), text))
    return rows


def completed(stats: dict | None) -> dt.datetime | None:
    value = (stats or {}).get("completed_at")
    if isinstance(value, int | float) and value > 0:
        return dt.datetime.fromtimestamp(value, dt.UTC).replace(tzinfo=None)
    return None
