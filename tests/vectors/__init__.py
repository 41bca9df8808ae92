"""Cases the Python and the page JavaScript must read alike.

onesignal_info.json: a list of {name, kind, input or corpus, normalised,
warnings}. `kind` is "info" (the object the app hands a page) or
"registration" (the body of the app's registration POST); `input` is that
object, or `corpus` names a file of tests/corpus whose payload it is;
`normalised` names the fields whose value is not the default below;
`warnings` is the exact list of warning codes, in order.

external_id.json: a list of {name, value, code}, `code` being why the value
cannot be an external id (null when it can).

Python runs both in tests/test_shared_rules.py, the page in
tests/browser/test_shared_rules_browser.py; tests/test_corpus.py checks the
corpus vectors against each file's `expect` block.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "corpus"

# What both sides produce for an info object, and its value when a vector
# does not name it.
INFO_FIELDS = {
    "shape": "unknown", "subscription_id": None, "onesignal_id": None, "push_token": None,
    "subscribed": None, "requires_consent": None, "consent_given": None, "consent": None,
    "external_id": None,
    "platform": None, "app_id": None, "app_version": None, "os": None, "os_version": None,
    "model": None, "installation_id": None, "custom_data": {},
}  # fmt: skip


def info_vectors() -> list[dict]:
    """tests/vectors/onesignal_info.json, each with its full expected reading."""
    vectors = json.loads((HERE / "onesignal_info.json").read_text())
    for vector in vectors:
        if "corpus" in vector:
            vector["input"] = corpus_payload(corpus_file(vector["corpus"]))
        vector["expected"] = {**INFO_FIELDS, **vector["normalised"]}
    return vectors


def corpus_file(name: str) -> dict:
    return json.loads((CORPUS / name).read_text())


def corpus_payload(document: dict) -> dict:
    """The info object, or the parsed body of the registration POST."""
    if document["kind"] == "info":
        return document["info"]
    return json.loads(document["request"]["body"])


def snake(name: str) -> str:
    """The page's camelCase field names as Python's (subscriptionId -> subscription_id)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def external_id_vectors() -> list[dict]:
    return json.loads((HERE / "external_id.json").read_text())
