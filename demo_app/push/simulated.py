"""The simulated phone learns of the pushes addressed to it from the site.

A browser simulating the app (static/js/simulator.js) asks every second for
pushes logged for the viewer's own account that name its subscription id (or
the external id OneSignal would have on it), newer than the last it showed.
Everything comes from push_log, so any host of the site can answer.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..models import Device, PushLog, UserDevice, utcnow

APP_NAME = "Push Lab"
WINDOW = dt.timedelta(minutes=10)  # older pushes are not shown as new
FIRST_LOOK = dt.timedelta(seconds=30)  # a browser's first poll shows only these
MAX_ROWS = 50


def link_of(user_id: int, subscription_id: str) -> UserDevice | None:
    """The viewer's own link to this device, else None (another account's
    device and a missing one look alike)."""
    return db.session.scalar(
        sa.select(UserDevice)
        .join(Device, Device.id == UserDevice.device_id)
        .where(UserDevice.user_id == user_id, Device.subscription_id == subscription_id)
    )


def reaches(push: PushLog, subscription_id: str, link: UserDevice | None) -> bool:
    """Would this push reach that device? By subscription id, or by the
    external id the app reported setting on it."""
    if push.target_kind == "external_id":
        return bool(
            link is not None
            and link.external_id_state == "set"
            and link.external_id_value
            and link.external_id_value in (push.target or [])
        )
    return subscription_id in (push.target or [])


def pushes_for(user_id: int, subscription_id: str, after: int | None) -> tuple[list[dict], int]:
    """([notification, ...], cursor) for the device's new pushes."""
    link = link_of(user_id, subscription_id)
    now = utcnow()
    since = now - (WINDOW if after is not None else FIRST_LOOK)
    query = sa.select(PushLog).where(
        PushLog.user_id == user_id, PushLog.created_at >= since, PushLog.request_body.is_not(None)
    )
    if after is not None:
        query = query.where(PushLog.id > after)
    rows = db.session.scalars(query.order_by(PushLog.id).limit(MAX_ROWS)).all()
    cursor = max([after or 0, *(r.id for r in rows)])
    if after is None and not rows:
        # the newest push id, so the next poll starts from here
        cursor = (
            db.session.scalar(sa.select(sa.func.max(PushLog.id)).where(PushLog.user_id == user_id))
            or 0
        )
    found, keys = [], set()
    for push in rows:
        body = push.request_body or {}
        key = body.get("idempotency_key")
        if not reaches(push, subscription_id, link) or (key and key in keys):
            continue  # a retried request is one notification
        keys.add(key)
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        found.append({
            "push": push.id,
            "app": APP_NAME,
            "title": str((body.get("headings") or {}).get("en") or ""),
            "message": str((body.get("contents") or {}).get("en") or ""),
            "data": data,
            "targetUrl": data.get("targetUrl"),
            "sent_at": push.created_at.isoformat(timespec="seconds") + "Z",
            "outcome": push.outcome,
        })  # fmt: skip
    return found, cursor


def result_reaches(user_id: int, subscription_id: str | None, target_kind, recipients) -> bool:
    """Does a send's request reach the simulated device of this browser?"""
    if not subscription_id or not recipients:
        return False
    link = link_of(user_id, subscription_id)
    if link is None:
        return False
    push = PushLog(target_kind=target_kind or "devices", target=list(recipients))
    return reaches(push, subscription_id, link)


def headline(result, on_simulator: bool) -> str:
    """What happened, first: the words the send result leads with. On the
    simulated phone that is what the viewer just saw arrive."""
    if result.outcome in ("sent", "partial"):
        if on_simulator:
            return "Arrived on your simulated phone · sent through OneSignal"
        if result.target_kind == "external_id":
            return f"Sent to external id {', '.join(result.recipients)}"
        count = len(result.recipients)
        return f"Sent to {count} device{'s' if count != 1 else ''}"
    if result.outcome == "not_configured":
        # a secondary note says real phones get nothing (push/_result.html)
        return (
            "Arrived on your simulated phone"
            if on_simulator
            else ("Not sent: OneSignal is not configured.")
        )
    first = (result.summary or "Not sent.").split(". ")[0].rstrip(".") + "."
    return first + (" Shown on your simulated phone only" if on_simulator else "")
