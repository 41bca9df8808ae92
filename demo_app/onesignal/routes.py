from __future__ import annotations

import re

import segno
import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import devices
from ..extensions import db
from ..external_id import problem_with
from ..links import site_url
from ..models import Device, UserDevice, utcnow
from ..onesignal_info import looks_like_uuid, normalise
from . import bp, devices_bp

IN_APP_UA = re.compile(r"\b(gonative|median)\b", re.IGNORECASE)
MAX_INFO_KEYS = 200


def in_app_user_agent() -> bool:
    return bool(IN_APP_UA.search(request.headers.get("User-Agent", "")))


@bp.get("/onesignal")
def hub():
    url = site_url("onesignal.hub")
    qr = None if in_app_user_agent() else segno.make(url, error="m").svg_inline(scale=4, border=2)
    return render_template(
        "onesignal/hub.html",
        page_url=url,
        qr_svg=qr,
        in_app_ua=in_app_user_agent(),
    )


def _json_error(message: str, status: int = 400, **extra):
    response = jsonify(error=message, **extra)
    response.status_code = status
    return response


def _json_object():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return None
    return data


@bp.post("/api/devices")
@login_required
def link_device():
    """Seed strategy 1a: the page hands over the OneSignal info it received.

    The user is always the session's; a user id in the body is ignored.
    """
    info = _json_object()
    if info is None:
        return _json_error("Send the OneSignal info object as JSON.")
    if len(info) > MAX_INFO_KEYS:
        return _json_error(f"The info object has more than {MAX_INFO_KEYS} keys.")
    understood = normalise(info)
    if not understood.subscription_id:
        return _json_error(
            "No player / subscription id in this info: OneSignal has not registered the "
            "device yet (on iOS, push permission may have been declined).",
            warnings=understood.warnings,
        )
    if not looks_like_uuid(understood.subscription_id):
        return _json_error(
            "The player / subscription id must be a UUID like "
            "1a2b3c4d-0000-4000-8000-00000000abcd; this is not one.",
            warnings=understood.warnings,
        )
    conn = db.session.connection()
    device_id = devices.upsert_device(conn, understood)
    devices.link(conn, current_user.id, device_id, "page", understood, info)
    db.session.commit()
    link = db.session.get(UserDevice, (current_user.id, device_id), populate_existing=True)
    return jsonify(
        linked=True,
        device=_device_json(link),
        warnings=understood.warnings,
    )


def _device_json(link: UserDevice) -> dict:
    device = link.device
    return {
        "id": device.id,
        "subscription_id": device.subscription_id,
        "platform": link.platform,
        "model": link.model,
        "app_version": link.app_version,
        "subscribed": link.subscribed,
        "learnt_via": link.learnt_via,
        "last_via": link.last_via,
        "first_seen": link.first_seen.isoformat() + "Z",
        "last_seen": link.last_seen.isoformat() + "Z",
        "external_id_state": link.external_id_state,
        "external_id_value": link.external_id_value,
    }


@bp.post("/api/external-id")
@login_required
def record_external_id():
    """Seed strategy 2: the page reports what set()/remove() (or login()/logout())
    answered, so the profile can say where the user's external id is set."""
    data = _json_object()
    if data is None:
        return _json_error("Send a JSON object.")
    action, method = data.get("action"), data.get("method")
    if action not in ("set", "remove"):
        return _json_error("action is “set” or “remove”.")
    if method not in ("legacy", "v5"):
        return _json_error("method is “legacy” (externalUserId) or “v5” (login/logout).")
    subscription_id = data.get("subscription_id")
    if not looks_like_uuid(subscription_id):
        return _json_error("subscription_id must be this device's player / subscription id.")
    success = data.get("success") is True
    error = data.get("error")
    error = str(error)[:500] if error not in (None, "") else None
    value = data.get("external_id")
    if action == "set":
        if value != current_user.external_id:
            return _json_error("Only your own external id can be set from this page.")
        problem = problem_with(value)
        if problem:
            return _json_error(problem)
    link = db.session.scalar(
        sa.select(UserDevice)
        .join(Device, Device.id == UserDevice.device_id)
        .where(
            UserDevice.user_id == current_user.id, Device.subscription_id == subscription_id.lower()
        )
    )
    if link is None:
        return _json_error("This device is not linked to your account yet.", status=404)
    if success:
        link.external_id_state = "set" if action == "set" else "removed"
        link.external_id_error = None
    else:
        link.external_id_state = "failed"
        link.external_id_error = error or "The app reported no success and no error text."
    link.external_id_value = value if action == "set" else None
    link.external_id_at = utcnow()
    db.session.commit()
    return jsonify(recorded=True, device=_device_json(link), method=method, action=action)


@devices_bp.get("/devices")
@login_required
def my_devices():
    links = devices.links_of(current_user.id)
    shared = devices.sharing([link.device_id for link in links], current_user.id)
    return render_template("devices/list.html", links=links, shared=shared)


# devices.id is a 32-bit INTEGER on PostgreSQL (see ids.py)
@devices_bp.post("/devices/<int(max=2147483647):device_id>/remove")
@login_required
def remove(device_id: int):
    if not devices.unlink(current_user.id, device_id):
        abort(404, "You have no device with that id.")
    flash("The device was removed from your account.", "success")
    return redirect(url_for("devices.my_devices"))
