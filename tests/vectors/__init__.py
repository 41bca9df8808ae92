"""Cases the Python and the page JavaScript must read alike.

onesignal_info.json: a list of {name, input, normalised, warnings}. `input`
is an info object or registration body; `normalised` names the fields whose
value is not the default below; `warnings` is the exact list of warning
codes, in order. external_id.json: a list of {name, value, code}, `code`
being why the value cannot be an external id (null when it can). Python runs
them in tests/test_shared_rules.py, the page in
tests/browser/test_shared_rules_browser.py.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# What both sides produce for an info object, and its value when a vector
# does not name it.
INFO_FIELDS = {
    "shape": "unknown", "subscription_id": None, "onesignal_id": None, "push_token": None,
    "subscribed": None, "requires_consent": None, "consent_given": None, "external_id": None,
    "platform": None, "app_id": None, "app_version": None, "os": None, "os_version": None,
    "model": None, "installation_id": None, "custom_data": {},
}  # fmt: skip


def info_vectors() -> list[dict]:
    """tests/vectors/onesignal_info.json, each with its full expected reading."""
    vectors = json.loads((HERE / "onesignal_info.json").read_text())
    for vector in vectors:
        vector["expected"] = {**INFO_FIELDS, **vector["normalised"]}
    return vectors


def snake(name: str) -> str:
    """The page's camelCase field names as Python's (subscriptionId -> subscription_id)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def external_id_vectors() -> list[dict]:
    return json.loads((HERE / "external_id.json").read_text())
