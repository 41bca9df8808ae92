"""Each user's devices: the site keeps its own list of every account's
OneSignal subscription (player) ids, and what the app reported of the
external user id on each.

Learnt two ways: from page JavaScript that hands over the OneSignal info the
app gave it after login ("page"), and from the registration POST the app
sends with the user's cookies ("registration"). Both end here.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..database import upsert
from ..extensions import db
from ..models import Device, User, UserDevice, utcnow
from .external_id import problem_with
from .info import Info, looks_like_uuid, normalise

MAX_INFO_KEYS = 200


class DeviceError(ValueError):
    """A request about a device that cannot be done, with what to tell the page."""

    def __init__(self, message: str, status: int = 400, understood: Info | None = None):
        super().__init__(message)
        self.status = status
        self.understood = understood


DEVICE_FIELDS = (
    "onesignal_id", "push_token", "platform", "model", "os_version", "app_version",
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


def link_from_page(user: User, info: dict) -> tuple[UserDevice, Info]:
    """Link the device named by the OneSignal info a page received to `user`
    (never to a user the body names); (the link, what was understood)."""
    if len(info) > MAX_INFO_KEYS:
        raise DeviceError(f"The info object has more than {MAX_INFO_KEYS} keys.")
    understood = normalise(info, kind="info")
    if not understood.subscription_id:
        raise DeviceError(
            "No subscription (player) id in this info: OneSignal has not registered the "
            "device yet.",
            understood=understood,
        )
    if not looks_like_uuid(understood.subscription_id):
        raise DeviceError(
            "The subscription (player) id must be a UUID like "
            "1a2b3c4d-0000-4000-8000-00000000abcd; this is not one.",
            understood=understood,
        )
    conn = db.session.connection()
    device_id = upsert_device(conn, understood)
    link(conn, user.id, device_id, "page", understood, info)
    db.session.commit()
    found = db.session.get(UserDevice, (user.id, device_id), populate_existing=True)
    return found, understood


def record_external_id(user: User, data: dict) -> UserDevice:
    """Note what the app answered to externalUserId.set()/remove() (or
    login()/logout()) on one of `user`'s devices, so the profile can say where
    the external id is set."""
    action, method = data.get("action"), data.get("method")
    if action not in ("set", "remove"):
        raise DeviceError("action is “set” or “remove”.")
    if method not in ("legacy", "v5"):
        raise DeviceError("method is “legacy” (externalUserId) or “v5” (login/logout).")
    subscription_id = data.get("subscription_id")
    if not looks_like_uuid(subscription_id):
        raise DeviceError("subscription_id must be this device's subscription (player) id.")
    value = data.get("external_id")
    if action == "set":
        if value != user.external_id:
            raise DeviceError("Only your own external id can be set from this page.")
        problem = problem_with(value)
        if problem:
            raise DeviceError(problem)
    found = db.session.scalar(
        sa.select(UserDevice)
        .join(Device, Device.id == UserDevice.device_id)
        .where(UserDevice.user_id == user.id, Device.subscription_id == subscription_id.lower())
    )
    if found is None:
        raise DeviceError("This device is not linked to your account yet.", status=404)
    error = data.get("error")
    if data.get("success") is True:
        found.external_id_state = "set" if action == "set" else "removed"
        found.external_id_error = None
    else:
        found.external_id_state = "failed"
        found.external_id_error = (
            str(error)[:500] if error not in (None, "") else None
        ) or "The app reported no success and no error text."
    found.external_id_value = value if action == "set" else None
    found.external_id_at = utcnow()
    db.session.commit()
    return found


def as_json(found: UserDevice) -> dict:
    """One linked device as the page's JSON calls answer it."""
    device = found.device
    return {
        "id": device.id,
        "subscription_id": device.subscription_id,
        "platform": found.platform,
        "model": found.model,
        "app_version": found.app_version,
        "subscribed": found.subscribed,
        "learnt_via": found.learnt_via,
        "last_via": found.last_via,
        "first_seen": found.first_seen.isoformat() + "Z",
        "last_seen": found.last_seen.isoformat() + "Z",
        "external_id_state": found.external_id_state,
        "external_id_value": found.external_id_value,
    }
