"""Captured payloads are hostile input: none of them may run in a viewer's browser."""

import json

import pytest
import requests
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import screenshot
from .helpers import login

pytestmark = pytest.mark.browser

JSON = {"Content-Type": "application/json"}
XSS = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
# Bidi controls and invisible characters: shown as tokens, never raw.
SPOOF = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b"


def hostile_requests(base):
    """(method-less) kwargs for requests.post: each one a way to attack the viewer."""
    return [
        {"data": json.dumps({"platform": XSS, "oneSignalUserId": "javascript:window.__pwned=3"}),
         "headers": JSON},
        {"data": XSS.encode(), "headers": {"Content-Type": "text/html"}},
        {"data": b"{}", "headers": {"Content-Type": "application/json", "X-<b>Evil</b>": XSS,
                                    "Referer": "javascript:window.__pwned=4"}},
        {"data": b"[" * 10000 + b"]" * 10000, "headers": JSON},
        {"data": b'{"a": "\xff\xfe\xfd"}', "headers": JSON},
        {"data": b'{"nul": "a\\u0000b", "raw": "\x00"}', "headers": JSON},
        {"data": b"{}", "headers": {"Content-Type": "application/json", "X-Huge": "h" * 32000}},
        {"data": b"", "headers": {}},
        {"data": {"platform": XSS, "a": "1"}},
        {"files": {"upload": ("<b>x</b>.html", XSS.encode(), "text/html")}, "data": {"k": XSS}},
        {"data": b"\x00\x01\x02\xff" * 100, "headers": {"Content-Type": XSS}},
        {"data": json.dumps({"model": f"{SPOOF}exe.pdf"}, ensure_ascii=False).encode(),
         "headers": {**JSON, "X-Spoof": SPOOF.encode().decode("latin-1")}},
    ]  # fmt: skip


def test_hostile_captures_render_inert(page, live_server, live_app):
    from demo_app.accounts import create_user

    with live_app.app_context():
        # an admin reviews every capture, the anonymous ones of /register too
        create_user("qa@example.com", PASSWORD, admin=True)
    base = live_server.url
    attacks = hostile_requests(base)
    for kwargs in attacks:
        response = requests.post(base + "/register/evil", timeout=10, **kwargs)
        assert response.status_code < 500
    requests.post(base + "/register/<script>", data=b"{}", timeout=10)
    requests.post(base + "/register/%E2%80%AEfdp.exe", data=b"{}", timeout=10)

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, base, "qa@example.com")
    page.goto(base + "/inspector")
    total = len(attacks) + 2
    assert not any(char in page.content() for char in SPOOF)
    assert page.locator("li.capture").count() == total  # every capture is listed
    screenshot(page, "inspector-hostile-360")
    for capture_id in range(1, total + 1):
        page.goto(f"{base}/inspector/{capture_id}")
        expect(page.get_by_role("heading", name=f"Capture #{capture_id}")).to_be_visible()
        for link in page.locator("a").all():
            assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
        assert not any(char in page.content() for char in SPOOF)
    page.goto(f"{base}/inspector/1")
    screenshot(page, "inspector-detail-hostile-360")
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    assert page.errors == []
