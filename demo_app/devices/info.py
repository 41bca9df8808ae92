"""Understand the OneSignal info an app reports, in every shape it comes in.

Shapes (see README, "What the app sends", and tests/corpus/FINDINGS.md):
- legacy info (`gonative_onesignal_info`) and registration POST:
  `oneSignalUserId` (the subscription (player) id), the push token,
  `oneSignalSubscribed`, `oneSignalRequiresUserPrivacyConsent`, plus
  installation info. The token is `oneSignalPushToken` on iOS;
  `oneSignalRegistrationId` in Android registration POSTs (both keys from the
  2022 plugin on); `oneSignalregistrationId` (lower-case r) plus
  `oneSignalPushToken` in Android info before the 2022 plugin;
- v5 bridge: `subscription: {id, optedIn, token}`, `oneSignalId` (the
  OneSignal *user* id, not a device id), `externalId`,
  `requiresUserPrivacyConsent`, `userConsentGiven`;
- registration POST custom data flattened as `customData_<key>`.

The page reads the same shapes with the same rules (static/js/onesignal-info.js);
tests/vectors/onesignal_info.json holds the cases both must agree on. Warnings
are stable codes (`Info.codes`); their wording is `message()`'s.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
LEGACY_KEYS = {
    "oneSignalUserId", "oneSignalPushToken", "oneSignalRegistrationId", "oneSignalregistrationId",
    "oneSignalSubscribed", "oneSignalRequiresUserPrivacyConsent",
}  # fmt: skip
# Keys that say "this is a GoNative / Median payload".
MARKERS = LEGACY_KEYS | {
    "subscription", "oneSignalId", "installationId", "appVersion", "distribution", "hardware",
}  # fmt: skip
MAX_TEXT = 255
SAFE_INTEGER = 2**53 - 1  # beyond it a browser's JSON.parse rounds the number
FLAG_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def looks_like_uuid(value) -> bool:
    return isinstance(value, str) and bool(UUID_RE.match(value))


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _text(value, limit: int = MAX_TEXT) -> str | None:
    """A JSON string, or a number the way a browser prints it, as text: NULs
    dropped, cut to `limit` characters; None for anything else, or empty."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    elif isinstance(value, int) or value.is_integer():
        if abs(value) > SAFE_INTEGER:
            return None
        text = str(int(value))
    elif 1e-4 <= abs(value) < 1e16:  # where Python and JavaScript print alike
        text = repr(value)
    else:
        return None
    text = text.replace("\x00", "")[:limit]
    return text or None


def _first_text(values, limit: int) -> str | None:
    for value in values:
        text = _text(value, limit)
        if text is not None:
            return text
    return None


def _flag(value) -> bool | None:
    """true/false, also written 1/0 or as the words true, false, yes, no, 1, 0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.isascii():
        return FLAG_WORDS.get(value.lower())
    return None


def _first_flag(values) -> bool | None:
    for value in values:
        flag = _flag(value)
        if flag is not None:
            return flag
    return None


@dataclass
class Info:
    shape: str = "unknown"  # "legacy", "v5" or "unknown"
    subscription_id: str | None = None
    onesignal_id: str | None = None
    push_token: str | None = None
    subscribed: bool | None = None
    requires_consent: bool | None = None
    consent_given: bool | None = None
    external_id: str | None = None
    platform: str | None = None
    app_id: str | None = None
    app_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    model: str | None = None
    installation_id: str | None = None
    custom_data: dict = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """The warnings in words, in the order of `codes`."""
        return [message(code, self) for code in self.codes]

    def as_dict(self) -> dict:
        return {**asdict(self), "warnings": self.warnings}


def is_registration_payload(data) -> bool:
    return isinstance(data, dict) and bool(MARKERS & set(data))


def normalise(data: dict) -> Info:
    """Read both shapes into one `Info`, with warnings a tester can act on."""
    info = Info()
    given = data.get("subscription")
    subscription = given if isinstance(given, dict) else {}
    if isinstance(given, dict):
        info.shape = "v5"
    elif LEGACY_KEYS & data.keys():
        info.shape = "legacy"
    elif "oneSignalId" in data or data.get("legacy") is False:
        info.shape = "v5"
    info.subscription_id = _first_text((subscription.get("id"), data.get("oneSignalUserId")), 64)
    info.onesignal_id = _text(data.get("oneSignalId"), 64)
    info.push_token = _first_text(
        (
            subscription.get("token"),
            data.get("oneSignalPushToken"),
            data.get("oneSignalRegistrationId"),
            data.get("oneSignalregistrationId"),
        ),
        4096,
    )
    info.subscribed = _first_flag((subscription.get("optedIn"), data.get("oneSignalSubscribed")))
    info.requires_consent = _first_flag(
        (data.get("requiresUserPrivacyConsent"), data.get("oneSignalRequiresUserPrivacyConsent"))
    )
    info.consent_given = _flag(data.get("userConsentGiven"))
    info.external_id = _text(data.get("externalId"), 128)
    platform = _text(data.get("platform"), 32)
    info.platform = ascii_lower(platform) if platform else None
    info.app_id = _text(data.get("appId"))
    info.app_version = _text(data.get("appVersion"), 64)
    info.os = _text(data.get("os"), 64)
    info.os_version = _text(data.get("osVersion"), 64)
    info.model = _first_text((data.get("model"), data.get("hardware")), 128)
    info.installation_id = _text(data.get("installationId"), 128)
    info.custom_data = {
        key[len("customData_") :]: value
        for key, value in data.items()
        if isinstance(key, str) and key.startswith("customData_")
    }
    info.codes = _codes(info)
    return info


def _codes(info: Info) -> list[str]:
    """The warning codes, always in this order (the page gives the same)."""
    codes = []
    if info.subscription_id is None:
        codes.append("no-subscription-id")
    elif not looks_like_uuid(info.subscription_id):
        codes.append("subscription-id-not-uuid")
    if (
        info.subscription_id
        and info.onesignal_id
        and ascii_lower(info.onesignal_id) == ascii_lower(info.subscription_id)
    ):
        codes.append("user-id-as-subscription-id")
    if info.subscribed is False:
        codes.append("not-subscribed")
    if info.requires_consent and info.consent_given is not True:
        codes.append("consent-required")
    if info.subscription_id and not info.push_token:
        codes.append("no-token")
    if not info.platform:
        codes.append("no-platform")
    return codes


def message(code: str, info: Info) -> str:
    """What a warning code means for this payload, in words."""
    if code == "no-subscription-id":
        if info.onesignal_id:
            return (
                "oneSignalId is the OneSignal user id, not a subscription id: this payload "
                "has no subscription (player) id yet."
            )
        return "No subscription (player) id yet: OneSignal has not registered this device."
    if code == "subscription-id-not-uuid":
        return (
            f"The subscription (player) id “{info.subscription_id}” does not look like a "
            "OneSignal id (a UUID); no device was recorded."
        )
    if code == "user-id-as-subscription-id":
        return (
            "oneSignalId and the subscription (player) id are the same value: that looks like "
            "the OneSignal user id used as a device id. Pushes to it will not arrive."
        )
    if code == "not-subscribed":
        return (
            "The device is not subscribed (opted out or permission declined): pushes to it "
            "will not arrive."
        )
    if code == "consent-required":
        return (
            "OneSignal requires privacy consent on this app and has not been given it: "
            "nothing is sent until the app calls userPrivacyConsent.grant()."
        )
    if code == "no-token":
        return "No push token yet: the platform has not issued one to this device."
    if code == "no-platform":
        return "No platform field: expected “ios” or “android”."
    return code
