"""The external user id rules: the app sets an external user id on the device
and OneSignal keeps the link, so a push can name the user instead of devices.

The page checks the same rules before it calls the app
(static/js/onesignal-info.js, `externalIdCode`); tests/vectors/external_id.json
holds the cases both must agree on. Each problem has a stable code; its words
are in MESSAGES.
"""

from __future__ import annotations

import re

# Values OneSignal refuses as an external id (its docs list the first five;
# an all-zero UUID and "1" have been reported rejected as well).
RESERVED = {"na", "null", "0", "-1", "all", "1", "undefined", "none", "nil"}
ZERO_UUID = re.compile(r"0{8}-?0{4}-?0{4}-?0{4}-?0{12}")
ALLOWED = re.compile(r"[A-Za-z0-9._@+:=-]+")
SPACE = " \t\n\r\f\v"  # ASCII white space only: both languages agree on it
MAX_LENGTH = 128

MESSAGES = {
    "empty": "An external id cannot be empty.",
    "spaces-around": "An external id cannot start or end with spaces.",
    "reserved": "OneSignal rejects “{value}” as an external id: it is a reserved value.",
    "bad-characters": "Use letters, digits and . _ @ + : = - only.",
    "too-long": f"An external id is at most {MAX_LENGTH} characters.",
    "dots": "An external id cannot be “.” or “..”: in OneSignal's addresses it would name "
    "another page of its API.",
}


def problem_code(value: str | None) -> str | None:
    """Why `value` cannot be an external id, as a code; None when it can."""
    if value is None or value.strip(SPACE) == "":
        return "empty"
    if value != value.strip(SPACE):
        return "spaces-around"
    if (value.isascii() and value.lower() in RESERVED) or ZERO_UUID.fullmatch(value):
        return "reserved"
    if not ALLOWED.fullmatch(value):
        return "bad-characters"
    if value in (".", ".."):
        return "dots"
    if len(value) > MAX_LENGTH:
        return "too-long"
    return None


def problem_with(value: str | None) -> str | None:
    """Why `value` cannot be an external id, in words; None when it can."""
    code = problem_code(value)
    return MESSAGES[code].format(value=value) if code else None


def default_for(user_id: int) -> str:
    """Derived from the account id, never from the email: OneSignal should not
    learn a user's address just because they tried the demo."""
    return f"user-{user_id}"
