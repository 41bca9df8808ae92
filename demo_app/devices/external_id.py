"""The external user id rules (seed strategy 2)."""

from __future__ import annotations

import re

# Values OneSignal refuses as an external id (its docs list the first five;
# an all-zero UUID and "1" have been reported rejected as well).
RESERVED = {"na", "null", "0", "-1", "all", "1", "undefined", "none", "nil"}
ZERO_UUID = re.compile(r"^0{8}-?0{4}-?0{4}-?0{4}-?0{12}$")
ALLOWED = re.compile(r"^[A-Za-z0-9._@+:=-]{1,128}$")


def problem_with(value: str | None) -> str | None:
    """Why `value` cannot be an external id, or None when it can."""
    if value is None or value.strip() == "":
        return "An external id cannot be empty."
    if value != value.strip():
        return "An external id cannot start or end with spaces."
    if value.lower() in RESERVED or ZERO_UUID.match(value):
        return f"OneSignal rejects “{value}” as an external id: it is a reserved value."
    if len(value) > 128:
        return "An external id is at most 128 characters."
    if not ALLOWED.match(value):
        return "Use letters, digits and . _ @ + : = - only."
    return None


def default_for(user_id: int) -> str:
    """Derived from the account id, never from the email: OneSignal should not
    learn a user's address just because they tried the demo."""
    return f"user-{user_id}"
