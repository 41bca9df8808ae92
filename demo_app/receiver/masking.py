"""Hide what would let one tester take over another's session.

Masked: the values of this site's session and remember-me cookies (in the
Cookie header and the cookie list) and of Authorization / Proxy-Authorization
headers. The sender's own captures are shown unmasked to them (see
inspector.views.can_see_secrets).
"""

from __future__ import annotations

import re

MASK = "[masked]"
SECRET_HEADERS = {"authorization", "proxy-authorization"}


def secret_cookie_names(app) -> set[str]:
    return {
        app.config.get("SESSION_COOKIE_NAME", "session"),
        app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
    }


def _mask_cookie_header(value: str, names: set[str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(2)
        return f"{match.group(1)}{name}={MASK}" if name.strip() in names else match.group(0)

    return re.sub(r"(^|;\s*)([^=;]+)=([^;]*)", replace, value)


def mask_headers(headers: list, app) -> list:
    names = secret_cookie_names(app)
    masked = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} {MASK}".strip()
        elif lowered == "cookie":
            value = _mask_cookie_header(value, names)
        masked.append([name, value])
    return masked


def mask_cookies(cookies: list, app) -> list:
    names = secret_cookie_names(app)
    return [[name, MASK if name in names else value] for name, value in cookies]
