"""Keeping each user's list of devices (seed strategy 1).

Learnt two ways: from page JavaScript that receives the OneSignal info (1a,
"page") and from the registration POST the app sends with the user's cookies
(1b, "registration"). Both end here.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .database import upsert
from .extensions import db
from .models import Device, UserDevice, utcnow
from .onesignal_info import Info, looks_like_uuid

DEVICE_FIELDS = (
    "onesignal_user_id", "push_token", "platform", "model", "os_version", "app_version",
    "installation_id", "app_id", "subscribed", "external_id",
)  # fmt: skip


def upsert_device(conn, info: Info) -> int | None:
    """The id of the device named by `info`, created on first sight; None when
    `info` names no device. Only the id is shared: see `link()` for the facts."""
    if not looks_like_uuid(info.subscription_id):
        return None
    now = utcnow()
    values = {"subscription_id": info.subscription_id.lower(), "first_seen": now, "last_seen": now}
    return upsert(conn, Device, values, ["subscription_id"], returning="id")


def link(conn, user_id: int, device_id: int, via: str, info: Info, raw: dict | None) -> None:
    """Note that `user_id` was seen on `device_id`, and what the device reported
    with this user's request; `via` is "page" or "registration". Fields the
    payload does not carry keep their old value."""
    now = utcnow()
    keep = ("external_id_state", "external_id_value", "external_id_error", "external_id_at")
    facts = {name: getattr(info, name) for name in DEVICE_FIELDS}
    values = {"user_id": user_id, "device_id": device_id, "learnt_via": via, "last_via": via,
              "first_seen": now, "last_seen": now, **dict.fromkeys(keep), **facts,
              "info": raw}  # fmt: skip
    upsert(conn, UserDevice, values, ["user_id", "device_id"],
           keep_old=(*keep, *DEVICE_FIELDS, "info"))  # fmt: skip


def links_of(user_id: int) -> list[UserDevice]:
    return db.session.scalars(
        sa.select(UserDevice)
        .where(UserDevice.user_id == user_id)
        .order_by(UserDevice.last_seen.desc())
        .options(sa.orm.joinedload(UserDevice.device))
    ).all()


def sharing(device_ids: list[int], user_id: int) -> dict[int, int]:
    """{device id: how many other accounts are linked to it} for those shared;
    who they are is not said."""
    if not device_ids:
        return {}
    rows = db.session.execute(
        sa.select(UserDevice.device_id, sa.func.count())
        .where(UserDevice.device_id.in_(device_ids), UserDevice.user_id != user_id)
        .group_by(UserDevice.device_id)
    )
    return dict(rows.all())


def targets_of(user_id: int) -> list[sa.Row]:
    """The user's devices as plain rows (id, subscription_id, model, platform),
    most recently seen first: what a "send to" list needs, without loading
    ORM objects."""
    return db.session.execute(
        sa.select(Device.id, Device.subscription_id, UserDevice.model, UserDevice.platform)
        .join(UserDevice, UserDevice.device_id == Device.id)
        .where(UserDevice.user_id == user_id)
        .order_by(UserDevice.last_seen.desc())
    ).all()


def unlink(user_id: int, device_id: int) -> bool:
    result = db.session.execute(
        sa.delete(UserDevice).where(
            UserDevice.user_id == user_id, UserDevice.device_id == device_id
        )
    )
    db.session.commit()
    return result.rowcount > 0


def prune_links(days: int) -> int:
    cutoff = utcnow() - dt.timedelta(days=days)
    result = db.session.execute(sa.delete(UserDevice).where(UserDevice.last_seen < cutoff))
    db.session.commit()
    return result.rowcount
