"""What OneSignal says about the viewer: which push subscriptions it links to
their external id (View user) and which external id it ties a device to
(identity by subscription). Both go through the OneSignal client (client.py): same key,
timeouts and explained errors; in not-configured mode they say what would be
asked.

Asking is bounded three ways, so no page can spend the app's OneSignal rate
limit (which every push shares) or the site's threads:
- an answer is reused for ONESIGNAL_LOOKUP_INTERVAL seconds per app and id
  (longer when OneSignal asked for a longer wait), kept in the database like
  the push-stats interval, so every worker and host shares it;
- each user may ask LOOKUP_LIMIT_PER_MINUTE times a minute (the routes);
- at most AT_ONCE calls run at once per process: beyond that the answer is
  "OneSignal is busy, try again in N s" at once, no thread waits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from .. import throttle
from ..extensions import db
from ..models import OneSignalAnswer, utcnow
from . import client

# OneSignal's subscription types (its API clients' SubscriptionTypeEnum) in
# words; any other type is shown as OneSignal names it.
PLATFORMS = {"iOSPush": "iOS", "AndroidPush": "Android", "HuaweiPush": "Huawei",
             "FireOSPush": "Fire OS", "ChromePush": "Chrome",
             "ChromeExtensionPush": "Chrome extension", "SafariPush": "Safari",
             "SafariLegacyPush": "Safari (legacy)", "FirefoxPush": "Firefox",
             "WindowsPush": "Windows", "macOSPush": "macOS",
             "Email": "email", "SMS": "SMS"}  # fmt: skip
AT_ONCE = 4
MINUTE = dt.timedelta(minutes=1)
_running = threading.BoundedSemaphore(AT_ONCE)
NOTIFICATION_TYPES = {
    -2: "unsubscribed (the user turned push off, or the app called optOut)",
    -99: "never subscribed (no push permission asked or given yet)",
    0: "disabled (no push permission)",
}


@dataclass
class Subscription:
    platform: str
    tail: str
    enabled: bool
    why: str | None
    this_device: bool
    model: str | None = None
    app_version: str | None = None
    push: bool = True  # a push channel (OneSignal's types ending in "Push")


@dataclass
class UserView:
    outcome: str
    summary: str
    external_id: str | None
    subscriptions: list[Subscription] = field(default_factory=list)
    request_shown: dict | None = None
    http_status: int | None = None


def _disabled_reason(sub: dict) -> str | None:
    kind = sub.get("notification_types")
    if isinstance(kind, int) and kind in NOTIFICATION_TYPES:
        return NOTIFICATION_TYPES[kind]
    if isinstance(kind, int) and kind < 0:
        return f"push disabled (notification_types {kind})"
    if sub.get("enabled") is False:
        return "disabled: this device will not get push"
    return None


def view_user(external_id: str | None, this_device: str | None = None) -> UserView:
    if not external_id:
        return UserView("no_external_id", "Your account has no external id yet: set one on "
                        "your profile.", None)  # fmt: skip
    found = _ask("user", external_id, client.view_user)
    view = UserView(found.outcome, found.summary, external_id,
                    request_shown=found.request_shown, http_status=found.http_status)  # fmt: skip
    if not found.ok:
        return view
    raw = found.data.get("subscriptions")
    for sub in raw if isinstance(raw, list) else []:
        if not isinstance(sub, dict):
            continue
        sub_id = str(sub.get("id") or "")
        why = _disabled_reason(sub)
        kind = sub.get("type")
        kind = str(kind)[:64] if isinstance(kind, str | int) and kind != "" else None
        view.subscriptions.append(
            Subscription(
                platform=PLATFORMS.get(kind, kind) if kind else "type not given",
                push=kind is None or kind.endswith("Push"),
                tail=sub_id[-6:], enabled=why is None, why=why,
                this_device=bool(this_device) and sub_id.lower() == this_device.lower(),
                model=sub.get("device_model") or None, app_version=sub.get("app_version") or None,
            )
        )  # fmt: skip
    push = [s for s in view.subscriptions if s.push]
    enabled = [s for s in push if s.enabled]
    if not push:
        view.summary = (f"OneSignal knows external id {external_id} but links no push "
                        "subscription to it: set it again from the app.")  # fmt: skip
    else:
        plural = "s" if len(push) != 1 else ""
        view.summary = (f"OneSignal links {len(push)} push subscription{plural} to external id "
                        f"{external_id}; {len(enabled)} can get push.")  # fmt: skip
    return view


def identity(subscription_id: str) -> dict:
    """{"outcome", "text", "external_id"} for the device in hand."""
    found = _ask("identity", subscription_id, client.identity_of)
    shown = found.request_shown["url"] if found.request_shown else None
    if not found.ok:
        return {"outcome": found.outcome, "text": found.summary, "external_id": None,
                "request": shown, "retry_after": found.retry_after}  # fmt: skip
    ids = found.data.get("identity") if isinstance(found.data.get("identity"), dict) else {}
    external = ids.get("external_id")
    if external:
        text = f"OneSignal ties this device to external id {external}."
    else:
        text = ("OneSignal ties this device to no external id: the app has not set it on this "
                "device yet.")  # fmt: skip
    return {"outcome": "ok", "text": text, "external_id": external, "request": shown,
            "onesignal_id": ids.get("onesignal_id")}  # fmt: skip


# Asking: cached per (app, id) database-wide, a few at once per process.


def busy_wait() -> int:
    """Seconds after which a running look-up has surely ended (its timeout)."""
    return math.ceil(min(float(current_app.config["ONESIGNAL_TIMEOUT"]), client.LOOKUP_TIMEOUT))


def wait_for(user_id: int) -> int:
    """0 when `user_id` may ask now (and counts it), else the seconds to wait."""
    limit = current_app.config["LOOKUP_LIMIT_PER_MINUTE"]
    key = f"lookup:{user_id}"
    if limit > 0 and throttle.over_limit([key], limit, MINUTE):
        return throttle.retry_after(key, MINUTE)
    throttle.record(key)
    return 0


def _key(kind: str, value: str) -> str:
    value = value.lower() if kind == "identity" else value
    return f"{kind}:{current_app.config.get('ONESIGNAL_APP_ID')}:{value}"[:255]


def _interval() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["ONESIGNAL_LOOKUP_INTERVAL"])


def _kept_until(asked_at: dt.datetime, answer: dict) -> dt.datetime:
    """An answer is reused for the interval, or as long as OneSignal said to wait."""
    wait = dt.timedelta(seconds=answer.get("retry_after") or 0)
    return asked_at + max(_interval(), wait)


def _reuse(asked_at: dt.datetime, answer: dict, now: dt.datetime) -> client.Lookup:
    found = client.Lookup(**answer)
    if found.outcome == "rate_limited" and found.retry_after:
        left = max(0.0, (asked_at - now).total_seconds() + found.retry_after)
        found.retry_after = left
        found.summary = ("OneSignal's rate limit was reached (HTTP 429): ask again in "
                         f"{client.wait_words(left)}.")  # fmt: skip
    return found


def _claim(key: str, exists: bool, now: dt.datetime) -> bool:
    """True when this request may ask OneSignal now (and has recorded that it
    does); False when another request, on any host, asked within the interval."""
    if not exists:
        try:
            db.session.add(OneSignalAnswer(key=key, asked_at=now, answer=None))
            db.session.commit()
            return True
        except sa.exc.IntegrityError:
            db.session.rollback()
            return False
    claimed = db.session.execute(
        sa.update(OneSignalAnswer)
        .where(OneSignalAnswer.key == key, OneSignalAnswer.asked_at <= now - _interval())
        .values(asked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    db.session.commit()
    return claimed == 1


def _ask(kind: str, value: str, call) -> client.Lookup:
    if not client.configured():
        return call(value)  # says what it would ask; nothing is sent
    key, now = _key(kind, value), utcnow()
    row = db.session.execute(
        sa.select(OneSignalAnswer.asked_at, OneSignalAnswer.answer)
        .where(OneSignalAnswer.key == key)
    ).first()  # fmt: skip
    db.session.commit()  # end the read: the claim below decides
    kept = (row.asked_at, row.answer) if row is not None and row.answer else None
    if kept and now < _kept_until(*kept):
        return _reuse(*kept, now)
    if not _running.acquire(blocking=False):
        if kept:
            return _reuse(*kept, now)
        wait = busy_wait()
        return client.Lookup("busy", f"OneSignal is busy, try again in {wait} s.",
                             retry_after=wait)  # fmt: skip
    try:
        if not _claim(key, row is not None, now):
            if kept:
                return _reuse(*kept, now)
            wait = busy_wait()
            return client.Lookup("busy", "OneSignal is being asked this right now: try again "
                                 f"in {wait} s.", retry_after=wait)  # fmt: skip
        found = call(value)
    finally:
        _running.release()
    db.session.execute(
        sa.update(OneSignalAnswer).where(OneSignalAnswer.key == key)
        .values(answer=dataclasses.asdict(found))
    )  # fmt: skip
    db.session.commit()
    return found


def forget(external_id: str | None = None, subscription_id: str | None = None) -> None:
    """Drop the kept answers about an external id and a device: the app has
    just set or removed the external id, so OneSignal's answer may change."""
    keys = ([_key("user", external_id)] if external_id else []) + (
        [_key("identity", subscription_id)] if subscription_id else []
    )
    if keys:
        db.session.execute(sa.delete(OneSignalAnswer).where(OneSignalAnswer.key.in_(keys)))
        db.session.commit()
