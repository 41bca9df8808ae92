from __future__ import annotations

import re
from urllib.parse import urlsplit

import segno
import sqlalchemy as sa
from flask import abort, current_app, jsonify, render_template, request
from flask_login import current_user, login_required

from ..extensions import db
from ..links import site_url
from ..models import PushLog, PushOpen
from ..push.simulated import link_of
from . import bp, client, lookups

IN_APP_UA = re.compile(r"\b(gonative|median)\b", re.IGNORECASE)
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")  # noqa: S104 - compared, not bound
MAX_ID = 64


def in_app_user_agent() -> bool:
    return bool(IN_APP_UA.search(request.headers.get("User-Agent", "")))


def last_open(user_id: int):
    """(the push, its latest open) of the viewer's pushes, or None."""
    row = db.session.execute(
        sa.select(PushLog, PushOpen)
        .join(PushOpen, PushOpen.push_id == PushLog.id)
        .where(PushLog.user_id == user_id)
        .order_by(PushOpen.opened_at.desc())
        .limit(1)
    ).first()
    return tuple(row) if row else None


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
        last_open=last_open(current_user.id) if current_user.is_authenticated else None,
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
