"""Absolute links to this site, built from the SITE_URL setting only.

A link in a push, a QR code or a cURL command must never come from the
request's Host header: a forged Host would send the person reading it to
another site.
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def base_url() -> str:
    return current_app.config["SITE_URL"].rstrip("/")


def site_url(endpoint: str, **values) -> str:
    """The absolute URL of `endpoint` under SITE_URL (also outside a request:
    the job runner and the command line build links too)."""
    if not has_request_context():
        with current_app.test_request_context():
            return base_url() + url_for(endpoint, **values)
    return base_url() + url_for(endpoint, **values)
