"""Understand the OneSignal info an app reports, in every shape it comes in.

Shapes (see README, "How a payload is read", and tests/corpus/FINDINGS.md):
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
    subscribed: bool | None = None  # None: not said, or not to be believed (iOS POSTs)
    requires_consent: bool | None = None  # the flag as sent; see `consent` for what it means
    consent_given: bool | None = None
    consent: str | None = None  # CONSENT: what the consent flags say, read per platform
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


# What the consent flags can tell (tests/corpus/FINDINGS.md, section c):
CONSENT = {
    "blocking": "OneSignal is held back until consent is given (iOS legacy flag true; "
    "v5 requiresUserPrivacyConsent true and userConsentGiven false)",
    "not-blocking": "consent does not hold OneSignal back (iOS legacy flag false: not "
    "required or already given; v5 requiresUserPrivacyConsent false)",
    "not-recorded": "Android's legacy flag is !userProvidedPrivacyConsent(): true until the "
    "page calls userPrivacyConsent.grant(), in every app, whether it requires consent or not",
    "granted": "consent was given (Android legacy flag false; v5 userConsentGiven true)",
    "unknown": "a flag is set but what it means cannot be told (no platform; v5 without "
    "userConsentGiven)",
}
KINDS = ("registration", "info")
TOKEN_KEYS = ("oneSignalPushToken", "oneSignalRegistrationId", "oneSignalregistrationId")


def is_registration_payload(data) -> bool:
    return isinstance(data, dict) and bool(MARKERS & set(data))


def normalise(data: dict, kind: str = "registration") -> Info:
    """Read both shapes into one `Info`, with warnings a tester can act on.

    `kind` is where the payload comes from, since the apps fill the same keys
    differently there: "registration" for the app's registration POST (the
    receiver, the inspector), "info" for the info object the app hands a page
    (its JavaScript posts it to /api/devices)."""
    if kind not in KINDS:
        raise ValueError(f"kind is one of {KINDS}, not {kind!r}")
    info = Info()
    given = data.get("subscription")
    subscription = given if isinstance(given, dict) else {}
    if isinstance(given, dict):
        info.shape = "v5"
    elif LEGACY_KEYS & data.keys():
        info.shape = "legacy"
    elif "oneSignalId" in data or data.get("legacy") is False:
        info.shape = "v5"
    platform = _text(data.get("platform"), 32)
    info.platform = ascii_lower(platform) if platform else None
    info.subscription_id = _first_text((subscription.get("id"), data.get("oneSignalUserId")), 64)
    info.onesignal_id = _text(data.get("oneSignalId"), 64)
    info.push_token = _first_text(
        (subscription.get("token"), *(data.get(key) for key in TOKEN_KEYS)), 4096
    )
    # GoNative's iOS registration POST has said oneSignalSubscribed: true
    # whatever OneSignal said since 2017 (FINDINGS.md, section d): not believed.
    # The info the app hands a page carries OneSignal's real state.
    legacy_subscribed = _flag(data.get("oneSignalSubscribed"))
    ios_post = kind == "registration" and info.platform == "ios"
    info.subscribed = _first_flag(
        (subscription.get("optedIn"), None if ios_post else legacy_subscribed)
    )
    v5_consent = _flag(data.get("requiresUserPrivacyConsent"))
    legacy_consent = _flag(data.get("oneSignalRequiresUserPrivacyConsent"))
    info.requires_consent = v5_consent if v5_consent is not None else legacy_consent
    info.consent_given = _flag(data.get("userConsentGiven"))
    info.consent = _consent(info.platform, v5_consent, legacy_consent, info.consent_given)
    info.external_id = _text(data.get("externalId"), 128)
    info.app_id = _text(data.get("appId"))
    info.app_version = _text(data.get("appVersion"), 64)
    info.os = _text(data.get("os"), 64)
    info.os_version = _text(data.get("osVersion"), 64)
    info.model = _first_text((data.get("model"), data.get("hardware")), 128)
    info.installation_id = _text(data.get("installationId"), 128)
    # Builds of 2016-11-08 to 2016-11-17 nested the custom data; every later
    # one flattens it to customData_<key>.
    nested = data.get("customData")
    info.custom_data = dict(nested) if isinstance(nested, dict) else {}
    info.custom_data.update(
        (key[len("customData_") :], value)
        for key, value in data.items()
        if isinstance(key, str) and key.startswith("customData_")
    )
    # Registration POSTs from before mid-2017 never carry a token, nor any flag
    # that tells them from the builds that do; every info object carries one.
    token_reported = (
        kind == "info"
        or info.shape == "v5"
        or any(key in data for key in TOKEN_KEYS)
        or "oneSignalSubscribed" in data
        or "oneSignalRequiresUserPrivacyConsent" in data
    )
    info.codes = _codes(info, token_reported, ios_post and legacy_subscribed is not None)
    return info


def _consent(platform, v5_flag, legacy_flag, given) -> str | None:
    """One of CONSENT's keys, or None when no consent flag was sent."""
    if v5_flag is not None:
        if not v5_flag:
            return "not-blocking"
        return {True: "granted", False: "blocking"}.get(given, "unknown")
    if legacy_flag is None:
        return None
    if platform == "ios":
        return "blocking" if legacy_flag else "not-blocking"
    if platform == "android":
        return "not-recorded" if legacy_flag else "granted"
    return "unknown" if legacy_flag else "not-blocking"


def _codes(info: Info, token_reported: bool, ios_flag_ignored: bool) -> list[str]:
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
    if ios_flag_ignored:
        codes.append("ios-subscribed-flag-unreliable")
    if info.consent == "blocking":
        codes.append("consent-required")
    # With an id and a token OneSignal clearly runs: the Android flag then
    # only says the page never granted consent, which is no problem.
    elif info.consent == "not-recorded" and not (info.subscription_id and info.push_token):
        codes.append("consent-not-recorded")
    if info.subscription_id and not info.push_token:
        codes.append("no-token" if token_reported else "token-not-reported")
    if not info.platform:
        codes.append("no-platform")
    return codes


def message(code: str, info: Info) -> str:
    """What a warning code means for this payload, in words."""
    if code == "no-subscription-id":
        if info.onesignal_id:
            return (
                "oneSignalId is the OneSignal user id, not a subscription (player) id: this "
                "payload has no subscription id yet."
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
            "OneSignal says this device is not subscribed (notifications turned off, the "
            "permission declined, or registration not finished): pushes to it will not arrive."
        )
    if code == "ios-subscribed-flag-unreliable":
        return (
            "Whether this iPhone can receive pushes is unknown here: the iOS app's "
            "registration POST says oneSignalSubscribed: true whatever OneSignal says. The "
            "info the app hands a page (the OneSignal page) or OneSignal's dashboard tells."
        )
    if code == "consent-required":
        return (
            "OneSignal is held back until privacy consent is given: this app requires it and "
            "has not been given it. Nothing is registered or sent until the page calls "
            "userPrivacyConsent.grant()."
        )
    if code == "consent-not-recorded":
        return (
            "This app has not recorded privacy consent (Android reports "
            "oneSignalRequiresUserPrivacyConsent: true until the page calls "
            "userPrivacyConsent.grant(), in every app). This only matters if your app is set "
            "to require consent: then OneSignal registers nothing until it is granted."
        )
    if code == "no-token":
        return "No push token yet: the platform has not issued one to this device."
    if code == "token-not-reported":
        return (
            "No push token in this registration POST: app builds from before mid-2017 never "
            "send one, and nothing else in the body tells those builds apart, so this says "
            "nothing about the device. The info the app hands a page reports the token."
        )
    if code == "no-platform":
        return "No platform field: expected “ios” or “android”."
    return code
