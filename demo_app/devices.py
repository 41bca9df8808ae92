"""Keeping each user's list of devices (seed strategy 1).

Learnt two ways: from page JavaScript that receives the OneSignal info (1a,
"page") and from the registration POST the app sends with the user's cookies
(1b, "registration"). Both end here.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .database import insert_ignore
from .extensions import db
from .models import Device, UserDevice, utcnow
from .onesignal_info import Info, looks_like_uuid

DEVICE_FIELDS = (
    "onesignal_user_id", "push_token", "platform", "model", "os_version", "app_version",
    "installation_id", "app_id", "subscribed", "external_id",
)  # fmt: skip


def upsert_device(info: Info, raw: dict | None) -> Device | None:
    """Create or refresh the device named by `info`; None when it names none."""
    if not looks_like_uuid(info.subscription_id):
        return None
    key = info.subscription_id.lower()
    now = utcnow()
    insert_ignore(
        Device, {"subscription_id": key, "first_seen": now, "last_seen": now}, ["subscription_id"]
    )
    device = db.session.scalar(sa.select(Device).where(Device.subscription_id == key))
    for name in DEVICE_FIELDS:
        value = getattr(info, name)
        if value is not None:
            setattr(device, name, value)
    if raw is not None:
        device.info = raw
    device.last_seen = now
    return device


def link(user_id: int, device: Device, via: str) -> UserDevice:
    """Note that `user_id` was seen on `device`; `via` is "page" or "registration"."""
    now = utcnow()
    insert_ignore(
        UserDevice,
        {"user_id": user_id, "device_id": device.id, "learnt_via": via, "last_via": via,
         "first_seen": now, "last_seen": now},
        ["user_id", "device_id"],
    )  # fmt: skip
    found = db.session.get(UserDevice, (user_id, device.id), populate_existing=True)
    found.last_seen = now
    found.last_via = via
    return found


def links_of(user_id: int) -> list[UserDevice]:
    return db.session.scalars(
        sa.select(UserDevice)
        .where(UserDevice.user_id == user_id)
        .order_by(UserDevice.last_seen.desc())
        .options(sa.orm.joinedload(UserDevice.device))
    ).all()


def subscription_ids_of(user_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Device.subscription_id)
            .join(UserDevice, UserDevice.device_id == Device.id)
            .where(UserDevice.user_id == user_id)
            .order_by(UserDevice.last_seen.desc())
        )
    )


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
