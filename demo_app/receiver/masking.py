"""Hide what would let one tester take over another's session.

Masked: the values of this site's session and remember-me cookies (in the
Cookie header and the cookie list) and of Authorization / Proxy-Authorization
headers. The sender's own captures are shown unmasked to them (see
inspector.views.can_see_secrets).

A Cookie header is the sender's to shape, and Werkzeug (so Flask and
Flask-Login) accepts more than `name=value; name=value`: blanks around the
name and "=", quoted values, repeats. Servers join several Cookie headers with
a comma. So a cookie is masked three ways:

1. every pair Werkzeug itself reads from the header under a secret name;
2. every `name=value` between semicolons or commas whose name, without blanks
   and quotes and in any case, is a secret name (what a laxer reader, or a
   joined header, would give);
3. every value Werkzeug would read for a secret name from these headers, one
   at a time or joined as a server joins them, wherever else it appears in a
   Cookie header or the cookie list.
"""

from __future__ import annotations

import re

from werkzeug.sansio.http import parse_cookie

MASK = "[masked]"
SECRET_HEADERS = {"authorization", "proxy-authorization"}
# Values this short are masked where they stand (way 1 and 2) but not looked
# for elsewhere (way 3): they would mask half the header.
SEARCHED_FROM = 6
# How servers pass several Cookie headers on: the development server and
# gunicorn join them with ",", werkzeug's test client with ", "; HTTP/2 says "; ".
JOINS = (",", ", ", ";", "; ")

# Werkzeug's cookie grammar (werkzeug.sansio.http, 3.1), the one the session
# and remember-me cookies are read with. Copied to find where each value
# stands; tests/test_secret_cookies.py holds the copy to Werkzeug's own parser.
_WERKZEUG_COOKIE = re.compile(
    r"""
    [ \t]*
    ([^ \t=";]+)
    (?:[ \t]*=[ \t]*
        (
            "(?:[^\\"]|\\.)*"
        |
            [^ \t";]*
        )
    )?
    [ \t]*
    (?:;|\Z)
    """,
    flags=re.ASCII | re.VERBOSE,
)
_LAX_PAIR = re.compile(r"(^|[;,])([^;,=]*)=([^;,]*)")


# The signed cookie of a browser that logged in to an account before
# (auth/limits.py): not a login, but this site's own, so masked as well.
KNOWN_DEVICE_COOKIE = "known_device"


def secret_cookie_names(app) -> set[str]:
    """This site's own cookies: masked in captures, never forwarded."""
    return {
        app.config.get("SESSION_COOKIE_NAME", "session"),
        app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        KNOWN_DEVICE_COOKIE,
    }


def werkzeug_pairs(text: str):
    """(name, (start, end) of its value or None) for every cookie Werkzeug's
    parse_cookie reads from `text`, in the same order."""
    pos = 0
    while True:
        match = _WERKZEUG_COOKIE.match(text, pos)
        if match is None:
            # Werkzeug skips what it cannot read up to the next semicolon.
            pos = text.find(";", pos) + 1
            if pos == 0:
                return
            continue
        pos = match.end()
        yield match.group(1), match.span(2) if match.group(2) is not None else None


class _SecretCookies:
    """The secret cookies of one capture: their names, and the values
    Werkzeug would read for them from its Cookie headers."""

    def __init__(self, app, cookie_texts: list[str]):
        self.names = {name.lower() for name in secret_cookie_names(app)}
        texts = set(cookie_texts)
        if len(cookie_texts) > 1:
            texts.update(join.join(cookie_texts) for join in JOINS)
        texts.update([text.replace("\r\n", "") for text in texts])  # unfolded, as servers do
        values = set()
        for text in texts:
            values.update(v for k, v in parse_cookie(text).items(multi=True) if self.secret(k))
            for match in _LAX_PAIR.finditer(text):
                if self.secret(match.group(2)):
                    value = match.group(3).strip()
                    values.update([value, value.strip('"')])
        self.values = sorted((v for v in values if len(v) >= SEARCHED_FROM), key=len, reverse=True)

    def secret(self, name: str) -> bool:
        return name.strip().strip('"').strip().lower() in self.names

    def mask(self, text: str) -> str:
        spans = [span for name, span in werkzeug_pairs(text) if span and self.secret(name)]
        for start, end in reversed(spans):
            if end > start:
                text = text[:start] + MASK + text[end:]

        def lax(match: re.Match) -> str:
            if self.secret(match.group(2)) and match.group(3).strip():
                return f"{match.group(1)}{match.group(2)}={MASK}"
            return match.group(0)

        text = _LAX_PAIR.sub(lax, text)
        for value in self.values:
            text = text.replace(value, MASK)
        return text


def _cookie_texts(headers) -> list[str]:
    return [value for name, value in headers if name.lower() == "cookie"]


def mask_headers(headers: list, app) -> list:
    cookies = _SecretCookies(app, _cookie_texts(headers))
    masked = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {MASK}".strip()
        elif lowered == "cookie":
            value = cookies.mask(value)
        masked.append([name, value])
    return masked


def mask_cookies(cookies: list, app, headers: list = ()) -> list:
    """The cookie list masked; `headers` are the capture's headers, whose
    Cookie values tell which values Werkzeug would read as secret."""
    listed = "; ".join(f"{name}={value}" for name, value in cookies)
    secrets = _SecretCookies(app, [*_cookie_texts(headers), listed])
    masked = []
    for name, value in cookies:
        if secrets.secret(name):
            masked.append([name, MASK])
        else:
            # the pair as text, so a "session=..." inside a value is found too
            shown_name, _, shown_value = secrets.mask(f"{name}={value}").partition("=")
            masked.append([shown_name, shown_value])
    return masked
