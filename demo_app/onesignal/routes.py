from __future__ import annotations

import re
from urllib.parse import urlsplit

import segno
import sqlalchemy as sa
from flask import abort, current_app, jsonify, render_template, request
from flask_login import current_user, login_required

from ..devices.info import looks_like_uuid
from ..endpoints import service
from ..extensions import db
from ..links import site_url
from ..models import Capture, Device, Endpoint, PushLog, PushOpen, utcnow
from ..push import opens
from ..push.simulated import link_of
from . import bp, client, lookups

IN_APP_UA = re.compile(r"\b(gonative|median)\b", re.IGNORECASE)
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")  # noqa: S104 - compared, not bound
MAX_ID = 64


def in_app_user_agent() -> bool:
    return bool(IN_APP_UA.search(request.headers.get("User-Agent", "")))


OPENS_LOOKED_AT = 500


def last_open(user_id: int, subscription_id: str):
    """(the push, its latest open) among the viewer's pushes sent to this
    device's subscription id, or None. A push to an external id reaches every
    device of the account: it says nothing about this one."""
    rows = db.session.execute(
        sa.select(PushLog, PushOpen)
        .join(PushOpen, PushOpen.push_id == PushLog.id)
        .where(PushLog.user_id == user_id, PushLog.target_kind != "external_id")
        .order_by(PushOpen.opened_at.desc())
        .limit(OPENS_LOOKED_AT)
    ).all()
    wanted = subscription_id.lower()
    for push, opened in rows:
        targets = push.target if isinstance(push.target, list) else []
        if any(isinstance(t, str) and t.lower() == wanted for t in targets):
            return push, opened
    return None


@bp.get("/onesignal")
def hub():
    url = site_url("onesignal.hub")
    qr = None if in_app_user_agent() else segno.make(url, error="m").svg_inline(scale=4, border=2)
    host = (urlsplit(url).hostname or "").lower()
    return render_template(
        "onesignal/hub.html",
        page_url=url,
        qr_svg=qr,
        qr_local=host in LOCAL_HOSTS or host.endswith(".localhost"),
        in_app_ua=in_app_user_agent(),
        configured=client.configured(),
    )


def _device_arg(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    if len(value) > MAX_ID or not re.fullmatch(r"[A-Za-z0-9-]+", value):
        abort(400, f"{name} is not a subscription id.")
    return value


@bp.get("/onesignal/user-panel")
@login_required
def user_panel():
    """What OneSignal links to the viewer's external id, as an HTML fragment
    for the profile and the OneSignal page. `device`: the subscription id the
    page is on, marked "this device" (it is only compared, never looked up)."""
    device = _device_arg("device")
    wait = lookups.wait_for(current_user.id)
    if wait:
        view = lookups.UserView("limited", _limited(wait), current_user.external_id)
    else:
        view = lookups.view_user(current_user.external_id, device)
    return render_template("onesignal/_user.html", view=view), *_status(view.outcome, wait)


def _limited(wait: int) -> str:
    limit = current_app.config["LOOKUP_LIMIT_PER_MINUTE"]
    times = "once" if limit == 1 else f"{limit} times"
    return f"You asked OneSignal {times} in the last minute: ask again in {wait} s."


def _status(outcome: str, wait: int) -> tuple[int, dict]:
    """429 for the viewer's own limit, 503 when OneSignal is busy, with Retry-After."""
    headers = {"Cache-Control": "no-store"}
    if outcome == "limited":
        return 429, {**headers, "Retry-After": str(wait)}
    if outcome == "busy":
        return 503, {**headers, "Retry-After": str(lookups.busy_wait())}
    return 200, headers


@bp.get("/api/onesignal/identity")
@login_required
def identity():
    """Which external id OneSignal ties this device to. Only for a device
    linked to the viewer's own account: ids are capabilities, so another
    account's device gets the same 404 as a missing one."""
    subscription_id = _device_arg("subscription_id")
    if subscription_id is None:
        abort(400, "subscription_id is missing.")
    if link_of(current_user.id, subscription_id) is None:
        return jsonify(error="You have no such device."), 404
    wait = lookups.wait_for(current_user.id)
    if wait:
        text = _limited(wait)
        answer = {"outcome": "limited", "text": text, "error": text, "external_id": None,
                  "retry_after": wait}  # fmt: skip
    else:
        answer = lookups.identity(subscription_id)
    if answer["outcome"] == "busy":
        answer["error"] = answer["text"]
    answer["yours"] = current_user.external_id
    answer["matches"] = bool(answer.get("external_id")) and (
        answer["external_id"] == current_user.external_id
    )
    return jsonify(answer), *_status(answer["outcome"], wait)


def registration_url(user_id: int) -> str:
    """Where the viewer's app should send its registration POST: their own
    (oldest) endpoint, else the shared /register URL."""
    endpoint = db.session.scalar(
        sa.select(Endpoint).where(Endpoint.owner_id == user_id).order_by(Endpoint.id).limit(1)
    )
    if endpoint is not None:
        return site_url("receiver.endpoint", token=endpoint.token)
    return site_url("receiver.register")


def latest_registration(access: service.Access, subscription_id: str) -> Capture | None:
    """The newest registration POST from this device among the captures the
    viewer may see, or None."""
    device_id = db.session.scalar(
        sa.select(Device.id).where(Device.subscription_id == subscription_id)
    )
    if device_id is None:
        return None
    found = []
    for scope in access.scopes():
        query = sa.select(Capture).where(Capture.device_id == device_id, Capture.method == "POST")
        if scope is not None:
            query = query.where(scope)
        capture = db.session.scalar(query.order_by(Capture.id.desc()).limit(1))
        if capture is not None and access.can_see(capture):
            found.append(capture)
    return max(found, key=lambda c: c.id, default=None)


@bp.get("/api/onesignal/registration")
@login_required
def registration():
    """Has a registration POST from this device reached the site, as far as
    the viewer may see? `state`: "with-login", "anonymous" or "none"."""
    headers = {"Cache-Control": "no-store"}
    subscription_id = (request.args.get("subscription_id") or "").strip()
    if not looks_like_uuid(subscription_id):
        return jsonify(error="subscription_id is not a subscription id."), 400, headers
    capture = latest_registration(service.access_for(current_user), subscription_id.lower())
    answer = {"url": registration_url(current_user.id), "url_pattern": ".*"}
    if capture is None:
        answer.update(state="none")
    else:
        seconds = max(0, int((utcnow() - capture.received_at).total_seconds()))
        answer.update(
            state="with-login"
            if capture.user_id == current_user.id
            else "anonymous"
            if capture.user_id is None
            else "other-login",
            seconds_ago=seconds,
            received_at=capture.received_at.isoformat() + "Z",
            capture_id=capture.id,
        )
    found = last_open(current_user.id, subscription_id)
    answer["opened"] = None
    if found is not None:
        push, opened = found
        answer["opened"] = {
            "push": push.id,
            "opened_at": opened.opened_at.isoformat() + "Z",
            "seconds_ago": max(0, int((utcnow() - opened.opened_at).total_seconds())),
            "how": opens.HOW_WORDS.get(opened.how, opened.how),
        }
    return jsonify(answer), 200, headers
