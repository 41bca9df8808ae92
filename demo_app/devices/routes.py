"""My devices, and the JSON calls the OneSignal page makes about this device."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from . import bp, service


def _json_error(message: str, status: int = 400, **extra):
    response = jsonify(error=message, **{k: v for k, v in extra.items() if v is not None})
    response.status_code = status
    return response


def _json_object() -> dict | None:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


@bp.post("/api/devices")
@login_required
def link_device():
    """The page hands over the OneSignal info it received; the device is
    linked to the session's user, whatever the body says."""
    info = _json_object()
    if info is None:
        return _json_error("Send the OneSignal info object as JSON.")
    try:
        link, understood = service.link_from_page(current_user, info)
    except service.DeviceError as error:
        understood = error.understood
        return _json_error(
            str(error),
            error.status,
            warnings=understood.warnings if understood else None,
            warning_codes=understood.codes if understood else None,
        )
    return jsonify(linked=True, device=service.as_json(link), warnings=understood.warnings,
                   warning_codes=understood.codes)  # fmt: skip


@bp.post("/api/external-id")
@login_required
def record_external_id():
    """The page reports what set()/remove() (or login()/logout()) answered."""
    data = _json_object()
    if data is None:
        return _json_error("Send a JSON object.")
    try:
        link = service.record_external_id(current_user, data)
    except service.DeviceError as error:
        return _json_error(str(error), error.status)
    from ..onesignal import lookups  # (imported here: onesignal imports devices)

    # what OneSignal answered about this device and id may change now
    lookups.forget(current_user.external_id, data["subscription_id"])
    return jsonify(recorded=True, device=service.as_json(link), method=data["method"],
                   action=data["action"])  # fmt: skip


@bp.get("/devices")
@login_required
def my_devices():
    links = service.links_of(current_user.id)
    shared = service.sharing([link.device_id for link in links], current_user.id)
    return render_template("devices/list.html", links=links, shared=shared)


# devices.id is a 32-bit INTEGER on PostgreSQL (see ids.py)
@bp.post("/devices/<int(max=2147483647):device_id>/remove")
@login_required
def remove(device_id: int):
    if not service.unlink(current_user.id, device_id):
        abort(404, "You have no device with that id.")
    flash("The device was removed from your account.", "success")
    return redirect(url_for("devices.my_devices"))
