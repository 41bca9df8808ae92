"""What OneSignal says about the viewer: which push subscriptions it links to
their external id (View user) and which external id it ties a device to
(identity by subscription). Both go through the push client: same key,
timeouts and explained errors; in not-configured mode they say what would be
asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..push import client

PLATFORMS = {"iOSPush": "iOS", "AndroidPush": "Android", "HuaweiPush": "Huawei",
             "ChromePush": "Chrome", "SafariPush": "Safari", "FirefoxPush": "Firefox",
             "Email": "email", "SMS": "SMS"}  # fmt: skip
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
    found = client.view_user(external_id)
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
        view.subscriptions.append(
            Subscription(
                platform=PLATFORMS.get(str(sub.get("type")), str(sub.get("type") or "?")),
                tail=sub_id[-6:], enabled=why is None, why=why,
                this_device=bool(this_device) and sub_id.lower() == this_device.lower(),
                model=sub.get("device_model") or None, app_version=sub.get("app_version") or None,
            )
        )  # fmt: skip
    push = [s for s in view.subscriptions if s.platform not in ("email", "SMS")]
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
    found = client.identity_of(subscription_id)
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
