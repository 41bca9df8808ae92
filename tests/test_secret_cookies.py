"""The session and remember-me cookies in a capture are masked for everyone
but the sender, whatever shape the Cookie header has: whatever Werkzeug (and
so Flask and Flask-Login) would accept as this site's session is masked in
every view and in the capture log."""

import html
import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.sansio.http import parse_cookie

from demo_app.extensions import db
from demo_app.models import Capture
from demo_app.receiver.capture_log import read_log
from demo_app.receiver.parsing import RAW_HEADERS_KEY

from .helpers import captures_table_away
from .rawhttp import request_bytes, send, served

SECRET_NAMES = ("session", "remember_token")


@pytest.fixture
def alice_cookies(auth, client):
    """Alice's real session and remember-me cookies; Bob exists too."""
    auth.create("alice@example.com")
    auth.create("bob@example.com", admin=True)  # sees every capture, others' secrets masked
    auth.login("alice@example.com", remember=True)
    return client.get_cookie("session").value, client.get_cookie("remember_token").value


def strings(value):
    """Every string inside a JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)


def surfaces(app, client, capture_id: int) -> dict[str, list[str]]:
    """Every place a capture's headers and cookies reach, as texts."""
    after = f"?after={capture_id - 1}"
    ndjson = client.get("/api/captures.ndjson" + after).get_data(as_text=True)
    har = client.get(f"/inspector/{capture_id}/har").get_data(as_text=True)
    har_export = client.get("/api/captures.har" + after).get_data(as_text=True)
    page = client.get(f"/inspector/{capture_id}").get_data(as_text=True)
    compare = client.get(f"/inspector/compare?a={capture_id}&b={capture_id}")
    with app.app_context():
        search_text = db.session.get(Capture, capture_id).search_text
    return {
        "API": list(strings(client.get(f"/api/captures/{capture_id}").json)),
        "list API": list(strings(client.get("/api/captures" + after).json)),
        "NDJSON": [s for line in ndjson.split("\n")[:-1] for s in strings(json.loads(line))],
        "HAR": list(strings(json.loads(har))),
        "HAR export": list(strings(json.loads(har_export))),
        "page": [html.unescape(page)],
        "compare page": [html.unescape(compare.get_data(as_text=True))],
        "search text": [search_text],
    }


def logged(app) -> dict[str, list[str]]:
    """The fallback capture log (written when the database fails), as texts."""
    lines = list(read_log(app.config["CAPTURE_LOG"]))
    assert lines, "nothing was logged"
    return {
        "log line": [s for line in lines for s in strings({k: v for k, v in line.items()
                                                           if k != "body"})],
        "log file": [Path(app.config["CAPTURE_LOG"]).read_text()],
    }  # fmt: skip


def assert_hidden(found: dict[str, list[str]], secrets) -> None:
    for secret in secrets:
        for where, texts in found.items():
            assert not any(secret in text for text in texts), f"{secret!r} shown in the {where}"


def test_space_before_equals_is_masked_everywhere(app, client, auth, alice_cookies):
    """Werkzeug reads `session =V` as the session cookie; the cookie list kept
    the name "session " and did not mask it."""
    session, remember = alice_cookies
    cookie = f"Cookie: a=1; session ={session}; remember_token ={remember}".encode()
    with served(app) as server:
        assert send(server, request_bytes(b"POST", b"/register", [cookie], b"{}")) == 200
        with captures_table_away(app):  # the same request, kept in the fallback log
            assert send(server, request_bytes(b"POST", b"/register", [cookie], b"{}")) == 202
    with app.app_context():
        assert db.session.get(Capture, 1).user.email == "alice@example.com"  # Werkzeug took it
    assert_hidden(logged(app), [session, remember])

    auth.logout()
    auth.login("bob@example.com")
    found = surfaces(app, client, 1)
    assert_hidden(found, [session, remember])
    assert ["session ", "[masked]"] in client.get("/api/captures/1").json["cookies"]


@pytest.mark.parametrize("raw_headers", [True, False], ids=["raw-header hook", "flask run"])
@pytest.mark.parametrize("first", [True, False], ids=["session first", "session second"])
def test_two_cookie_headers_are_masked_everywhere(app, client, auth, alice_cookies, raw_headers,
                                                  first):  # fmt: skip
    """The development server joins two Cookie headers with a comma
    ("other=1,session=V"); without the raw-header hook that joined value is
    what the capture keeps."""
    session, remember = alice_cookies
    mine = f"Cookie: session={session}; remember_token={remember}".encode()
    headers = [mine, b"Cookie: other=1"] if first else [b"Cookie: other=1", mine]
    with served(app, raw_headers=raw_headers) as server:
        assert send(server, request_bytes(b"POST", b"/register", headers, b"{}")) == 200
        with captures_table_away(app):  # the same request, kept in the fallback log
            assert send(server, request_bytes(b"POST", b"/register", headers, b"{}")) == 202
    assert_hidden(logged(app), [session, remember])

    auth.logout()
    auth.login("bob@example.com")
    assert_hidden(surfaces(app, client, 1), [session, remember])


def test_sender_still_sees_own_cookies(app, client, auth, alice_cookies):
    session, remember = alice_cookies
    cookie = f"Cookie: a=1; session ={session}; remember_token ={remember}".encode()
    with served(app) as server:
        send(server, request_bytes(b"POST", b"/register", [cookie], b"{}"))
    data = client.get("/api/captures/1").json
    assert [name for name, value in data["cookies"] if value == session] == ["session "]
    assert any(session in value for name, value in data["headers"] if name == "Cookie")
    assert session in html.unescape(client.get("/inspector/1").get_data(as_text=True))


# Cookie headers in every shape Werkzeug reads (or nearly reads): spaces and
# tabs around names and "=", other cases, quotes, repeats, commas, several
# headers, semicolons with and without spaces. Values are long random tokens,
# each ending in a number of its own, so one turning up anywhere is that
# cookie's value and not a coincidence.
tokens = st.text(string.ascii_letters + string.digits + "-_.|/+=", min_size=20, max_size=32)
names = st.sampled_from(
    ["session", "remember_token", "Session", "REMEMBER_TOKEN", '"session"', "other", "a", "x_y"]
)
blanks = st.sampled_from(["", "", " ", "\t", "  "])
separators = st.sampled_from([";", "; ", " ;", ";;", ",", ", ", "; ,", ";\t"])
junk = st.sampled_from(["", "junk", 'a"b', "=x", ";", "b=", "session"])


@st.composite
def cookie_pairs(draw, number: int):
    name, value = draw(names), f"{draw(tokens)}~{number}~"
    escape = draw(st.sampled_from(["", "", '\\"', "\\054"]))
    written = f'"{value[:5]}{escape}{value[5:]}"' if draw(st.booleans()) else value
    return name, value, f"{draw(blanks)}{name}{draw(blanks)}={draw(blanks)}{written}{draw(blanks)}"


@st.composite
def cookie_headers(draw):
    """(header values, tokens sent under a name that is secret but for case,
    blanks or quotes)."""
    headers, secret_tokens, number = [], [], 0
    for _ in range(draw(st.integers(1, 3))):
        parts = [draw(junk)]
        for _ in range(draw(st.integers(1, 4))):
            number += 1
            name, value, text = draw(cookie_pairs(number))
            parts.append(text)
            if name.strip('"').lower() in SECRET_NAMES:
                secret_tokens.append(value[5:])  # as written, whatever the escape
        parts.append(draw(junk))
        headers.append(draw(separators).join(p for p in parts if p))
    return headers, secret_tokens


# How servers hand several Cookie headers to the app: the development server
# and gunicorn join them with "," (both keep the list too, through our hooks);
# werkzeug's test client joins them with ", ".
SERVERS = {"hooked server": (",", True), "flask run": (",", False), "test client": (", ", False)}


@pytest.fixture
def bob(auth):
    auth.create("bob@example.com", admin=True)  # sees every capture, others' secrets masked
    auth.login("bob@example.com")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sent=cookie_headers(), server=st.sampled_from(sorted(SERVERS)))
def test_secret_cookies_never_shown_to_others(app, client, bob, sent, server):
    headers, secret_tokens = sent
    join, raw = SERVERS[server]
    environ = {"HTTP_COOKIE": join.join(headers)}
    if raw:
        environ[RAW_HEADERS_KEY] = [("Host", "localhost"), ("Content-Type", "application/json"),
                                    *(("Cookie", value) for value in headers)]  # fmt: skip
    sender = app.test_client(use_cookies=False)
    response = sender.post("/register", json={}, environ_overrides=environ)
    assert response.status_code == 200

    read = parse_cookie(environ["HTTP_COOKIE"])
    werkzeug_reads = [v for name in SECRET_NAMES for v in read.getlist(name) if len(v) >= 8]
    assert_hidden(surfaces(app, client, response.json["capture_id"]),
                  [*werkzeug_reads, *secret_tokens])  # fmt: skip


@given(sent=cookie_headers(), join=st.sampled_from([",", ", ", "; "]))
def test_pairs_are_found_as_werkzeug_reads_them(sent, join):
    """The masking finds cookie pairs with a copy of Werkzeug's grammar; it
    must stay the grammar Werkzeug reads sessions with."""
    from demo_app.receiver.masking import werkzeug_pairs

    text = join.join(sent[0])
    found = [
        (name, parse_cookie(f"x={text[span[0] : span[1]]}")["x"] if span else "")
        for name, span in werkzeug_pairs(text)
    ]
    assert sorted(found) == sorted(parse_cookie(text).items(multi=True))
