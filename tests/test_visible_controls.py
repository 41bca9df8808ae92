"""Characters that hide or reorder text (a right-to-left override, bidi
isolates and marks, zero-width spaces, control characters) are shown as
visible tokens wherever the inspector shows captured text, so a capture
cannot make a value read as something else. Downloads and exports keep them."""

import html
import json

import pytest
from markupsafe import Markup

from demo_app.display import visible

from .payloads import IOS_PAYLOAD
from .rawhttp import request_bytes, send, served

RLO = "\u202e"
# Every kind, each in some captured value below.
SPOOFING = [RLO, "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069",
            "\u200e", "\u200f", "\u061c", "\u200b", "\ufeff", "\x1b", "\x07", "\x85",
            "\u00ad", "\u034f", "\u2800", "\U0001d173"]  # fmt: skip
# What a server puts in the environ for the UTF-8 bytes of U+202E: "â\x80®".
RLO_AS_SENT = RLO.encode().decode("latin-1")
TEXT = "invoice " + "".join(SPOOFING) + " fdp.exe\r\nnext line\tand a tab\n"


def test_visible_filter():
    shown = visible(f"<b>{RLO}x\u2066\x1b\t\r\n\r")
    assert isinstance(shown, Markup)
    assert shown == Markup(
        '&lt;b&gt;<span class="ctl" title="RIGHT-TO-LEFT OVERRIDE">&lt;U+202E&gt;</span>x'
        '<span class="ctl" title="LEFT-TO-RIGHT ISOLATE">&lt;U+2066&gt;</span>'
        '<span class="ctl" title="control character">&lt;U+001B&gt;</span>\t\r\n'
        '<span class="ctl" title="control character">&lt;U+000D&gt;</span>'
    )
    for char in SPOOFING:
        assert char not in visible(char)
    assert visible("plain, ünïcode, עברית, 😀 and ❤️") == "plain, ünïcode, עברית, 😀 and ❤️"


@pytest.fixture
def spoofing_captures(app, client, auth):
    """1: text body, headers, cookie, query; 2: registration JSON; 3: path;
    4: a text body to compare with 1; 5: UTF-8 bytes in a header (servers
    read header bytes as Latin-1, so U+202E arrives as "â\\x80®")."""
    auth.create(admin=True)  # anonymous captures are for admins to see
    auth.login()
    sender = app.test_client(use_cookies=False)
    sender.post(
        "/register/spoof",
        data=TEXT.encode(),
        content_type="text/plain",
        headers={f"X-Name{RLO}": f"abc{RLO}def\u200b", "Cookie": f"pref=\u2066x{RLO}"},
        environ_overrides={"QUERY_STRING": f"q={RLO_AS_SENT}1"},
    )
    sender.post("/register/spoof", json={**IOS_PAYLOAD, "model": f"{RLO}enohPi", "x": TEXT})
    sender.post(f"/register/{RLO}abc", json={})
    sender.post("/register/spoof", data="invoice\r\nother\n", content_type="text/plain")
    with served(app) as server:
        send(server, request_bytes(b"POST", b"/register", [f"X-Raw: a{RLO}b".encode()], b"{}"))
    assert ["X-Raw", f"a{RLO_AS_SENT}b"] in client.get("/api/captures/5").json["headers"]
    return sender


PAGES = ["/inspector", "/inspector?before=6", "/inspector/rows?after=0", "/inspector/1",
         "/inspector/2", "/inspector/3", "/inspector/5", "/inspector/compare?a=1&b=4",
         "/inspector/compare?a=2&b=1", "/inspector/compare?a=3&b=1"]  # fmt: skip


@pytest.mark.parametrize("url", PAGES)
def test_pages_show_hidden_characters_as_tokens(app, client, spoofing_captures, url):
    page = client.get(url).get_data(as_text=True)
    assert [char for char in SPOOFING if char in page] == []
    assert "&lt;U+202E&gt;" in page or "&lt;U+0080&gt;" in page


def test_every_kind_is_shown_on_the_detail_page(app, client, spoofing_captures):
    page = client.get("/inspector/1").get_data(as_text=True)
    for char in SPOOFING:
        assert f"&lt;U+{ord(char):04X}&gt;" in page
    assert "fdp.exe\r\nnext line\tand a tab" in page  # line ends and tabs stay
    raw_header = client.get("/inspector/5").get_data(as_text=True)
    assert "a\u00e2<span" in raw_header and "&lt;U+0080&gt;" in raw_header


def test_downloads_and_exports_keep_the_characters(app, client, spoofing_captures):
    assert client.get("/inspector/1/body").data == TEXT.encode()
    data = client.get("/api/captures/1").json
    assert data["body"] == TEXT and data["query"] == f"q={RLO_AS_SENT}1"
    assert [f"X-Name{RLO}", f"abc{RLO}def\u200b"] in data["headers"]
    har = json.loads(client.get("/inspector/1/har").get_data(as_text=True))
    assert har["log"]["entries"][0]["request"]["postData"]["text"] == TEXT
    # one JSON per "\n" (str.splitlines would also split at the U+0085 inside)
    lines = client.get("/api/captures.ndjson").get_data(as_text=True).split("\n")[:-1]
    exported = [json.loads(line) for line in lines]
    assert exported[0]["body"] == TEXT and exported[1]["json"]["model"] == f"{RLO}enohPi"
    assert exported[2]["path"] == f"/register/{RLO}abc"


def test_copied_command_holds_no_hidden_character(app, client, spoofing_captures):
    """The cURL command is in the page too (in the text area it is copied from)."""
    page = client.get("/inspector/1").get_data(as_text=True)
    start = page.index('<textarea id="curl"')
    command = html.unescape(page[start : page.index("</textarea>", start)])
    assert [char for char in SPOOFING if char in command] == []
    assert "\n" not in command and "\r" not in command  # one line


def test_device_pages_show_hidden_characters_as_tokens(app, client, auth):
    """A registration (the sender's own, or one forged from another site) puts
    the device in the sender's list under the name it reports."""
    auth.create(admin=True)  # anonymous captures are for admins to see
    auth.login()
    client.post("/register", json={**IOS_PAYLOAD, "model": f"{RLO}enohPi", "osVersion": RLO})
    for url in ("/devices", "/profile"):
        page = client.get(url).get_data(as_text=True)
        assert "enohPi" in page
        assert [char for char in SPOOFING if char in page] == []
        assert "&lt;U+202E&gt;" in page
