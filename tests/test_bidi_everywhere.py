"""No raw character that reorders or hides text reaches a page, a script's
JSON or a push, whoever typed it (third attack pass, finding 6: a stranger's
message with U+202E was shown raw in /messages, /messages/<id> and the push)."""

import json
import re

import pytest

from .payloads import IOS_PAYLOAD

RLO = "\u202e"
HOSTILE = f"pay {RLO}gnp.exe\u200b\u2066 now"


@pytest.fixture
def app_settings(standin):
    return {"ONESIGNAL_API_URL": standin.url, "ONESIGNAL_APP_ID": "app-1",
            "ONESIGNAL_API_KEY": "key-1"}  # fmt: skip


# Downloads and exports keep the bytes as sent: they are data, not display.
DATA = {"static", "inspector.download_body", "inspector.download_har", "inspector.api_list",
        "inspector.api_detail", "inspector.api_export", "inspector.api_export_har"}  # fmt: skip


def _get_paths(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods if rule.methods is not None else {"GET"}
        if rule.endpoint in DATA or "GET" not in methods:
            continue
        path = re.sub(r"<int(\([^)]*\))?:[^>]+>", "1", rule.rule)
        yield re.sub(r"<[^>]+>", "x", path)


def test_no_page_shows_a_raw_bidi_control(app, client, auth, standin):
    auth.create("alice@example.com")
    auth.create("bob@example.com")
    auth.login("alice@example.com")
    auth.post_json("/api/devices", {**IOS_PAYLOAD, "model": HOSTILE})
    client.post("/register", json={**IOS_PAYLOAD, "note": HOSTILE})
    auth.logout()
    # A stranger writes to Alice; her phone gets the push.
    auth.login("bob@example.com")
    sent = client.post("/messages", data={"recipient": "alice@example.com", "body": HOSTILE,
                                          "csrf_token": auth.token()})  # fmt: skip
    assert sent.status_code == 302
    push = standin.requests[-1]["body"]
    assert RLO not in json.dumps(push, ensure_ascii=False)
    assert "<U+202E>" in push["contents"]["en"]
    auth.logout()
    auth.login("alice@example.com")
    client.post("/send-to-me", data={"target": "all", "title": HOSTILE, "message": HOSTILE,
                                     "csrf_token": auth.token()})  # fmt: skip
    for path in [*_get_paths(app), "/api/messages/unread?after=0", "/notifications"]:
        text = client.get(path, buffered=True).get_data(as_text=True)
        shown = json.loads(text) if text.startswith(("{", "[")) else text
        assert RLO not in json.dumps(shown, ensure_ascii=False), path
    inbox = client.get("/messages").get_data(as_text=True)
    assert "&lt;U+202E&gt;" in inbox
    assert "&lt;U+202E&gt;" in client.get("/messages/1").get_data(as_text=True)
