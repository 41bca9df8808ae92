"""Absolute links to this site, built from the SITE_URL setting only.

A link in a push, a QR code or a cURL command must never come from the
request's Host header: a forged Host would send the person reading it to
another site.
"""

from __future__ import annotations

from flask import current_app, url_for


def base_url() -> str:
    return current_app.config["SITE_URL"].rstrip("/")


def site_url(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint` under SITE_URL."""
    return base_url() + url_for(endpoint, **values)
