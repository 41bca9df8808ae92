"""Understand the OneSignal info an app reports, in every shape it comes in.

Shapes (see README, "What the app sends"):
- legacy bridge / registration POST: `oneSignalUserId` (the player id),
  `oneSignalPushToken` (iOS) or `oneSignalRegistrationId` (older Android,
  also spelt `oneSignalregistrationId`), `oneSignalSubscribed`,
  `oneSignalRequiresUserPrivacyConsent`, plus installation info;
- v5 bridge: `subscription: {id, optedIn, token}`, `oneSignalId` (the
  OneSignal *user* id, not a device id), `externalId`,
  `requiresUserPrivacyConsent`;
- registration POST custom data flattened as `customData_<key>`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# Keys that say "this is a GoNative / Median payload".
MARKERS = {
    "oneSignalUserId", "oneSignalPushToken", "oneSignalRegistrationId", "oneSignalregistrationId",
    "oneSignalSubscribed", "oneSignalRequiresUserPrivacyConsent", "subscription", "oneSignalId",
    "installationId", "appVersion", "distribution", "hardware",
}  # fmt: skip
MAX_TEXT = 255


def looks_like_uuid(value) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))


def _text(value, limit: int = MAX_TEXT) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).replace("\x00", "")
    return text[:limit] or None


def _flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    return None


@dataclass
class Info:
    shape: str = "unknown"  # "legacy", "v5" or "unknown"
    subscription_id: str | None = None
    onesignal_id: str | None = None
    push_token: str | None = None
    subscribed: bool | None = None
    requires_consent: bool | None = None
    external_id: str | None = None
    platform: str | None = None
    app_id: str | None = None
    app_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    model: str | None = None
    installation_id: str | None = None
    custom_data: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def is_registration_payload(data) -> bool:
    return isinstance(data, dict) and bool(MARKERS & set(data))


def normalise(data: dict) -> Info:
    """Read both shapes into one `Info`, with warnings a tester can act on."""
    info = Info()
    subscription = data.get("subscription") if isinstance(data.get("subscription"), dict) else None
    if subscription is not None:
        info.shape = "v5"
        info.subscription_id = _text(subscription.get("id"), 64)
        info.subscribed = _flag(subscription.get("optedIn"))
        info.push_token = _text(subscription.get("token"), 4096)
    if any(k in data for k in ("oneSignalUserId", "oneSignalSubscribed", "oneSignalPushToken")):
        info.shape = "legacy" if subscription is None else info.shape
    info.subscription_id = info.subscription_id or _text(data.get("oneSignalUserId"), 64)
    if info.subscribed is None:
        info.subscribed = _flag(data.get("oneSignalSubscribed"))
    info.push_token = info.push_token or _text(
        data.get("oneSignalPushToken")
        or data.get("oneSignalRegistrationId")
        or data.get("oneSignalregistrationId"),
        4096,
    )
    info.onesignal_id = _text(data.get("oneSignalId"), 64)
    consent = data.get(
        "requiresUserPrivacyConsent", data.get("oneSignalRequiresUserPrivacyConsent")
    )
    info.requires_consent = _flag(consent)
    info.external_id = _text(data.get("externalId"), 128)
    platform = _text(data.get("platform"), 32)
    info.platform = platform.lower() if platform else None
    info.app_id = _text(data.get("appId"))
    info.app_version = _text(data.get("appVersion"), 64)
    info.os = _text(data.get("os"), 64)
    info.os_version = _text(data.get("osVersion"), 64)
    info.model = _text(data.get("model") or data.get("hardware"), 128)
    info.installation_id = _text(data.get("installationId"), 128)
    info.custom_data = {
        key[len("customData_") :]: value
        for key, value in data.items()
        if isinstance(key, str) and key.startswith("customData_")
    }
    info.warnings = _warnings(data, info)
    return info


def _warnings(data: dict, info: Info) -> list[str]:
    warnings = []
    if info.subscription_id is None:
        if info.onesignal_id:
            warnings.append(
                "oneSignalId is the OneSignal user id, not a subscription id: this payload "
                "has no device (subscription) id yet."
            )
        else:
            warnings.append(
                "No player id yet: OneSignal has not registered this device "
                "(on iOS this also happens when push permission was declined)."
            )
    elif not looks_like_uuid(info.subscription_id):
        warnings.append(
            f"The player / subscription id “{info.subscription_id}” does not look like a "
            "OneSignal id (a UUID); no device was recorded."
        )
    elif info.onesignal_id and info.onesignal_id == info.subscription_id:
        warnings.append(
            "oneSignalId looks like a OneSignal user id, not a subscription id: the app "
            "reports the same value for both."
        )
    if data.get("oneSignalUserId") and info.onesignal_id == _text(data.get("oneSignalUserId")):
        warnings.append(
            "oneSignalUserId equals oneSignalId: that looks like the OneSignal user id, not "
            "the subscription (player) id. Pushes to it will not arrive."
        )
    if info.subscribed is False:
        warnings.append(
            "The device is not subscribed (opted out or permission declined): pushes to it "
            "will not arrive."
        )
    if info.requires_consent:
        warnings.append(
            "OneSignal requires privacy consent on this app: nothing is sent until the app "
            "calls userPrivacyConsent.grant()."
        )
    if info.subscription_id and not info.push_token:
        warnings.append("No push token yet: the platform has not issued one to this device.")
    if not info.platform:
        warnings.append("No platform field: expected “ios” or “android”.")
    return warnings
