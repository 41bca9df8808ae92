"""Headers on every response, the session user, and the safe-redirect rule."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from .extensions import db, login_manager
from .models import User, utcnow

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]
LAST_SEEN_EVERY = dt.timedelta(minutes=5)


def is_safe_next(target: str | None) -> bool:
    """Only a path inside this site: no scheme, no host, no `//` or `/\\` tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


@login_manager.unauthorized_handler
def unauthorized():
    from .errors import wants_json

    if wants_json():
        response = jsonify(error="Log in first: this needs an account.", status=401)
        response.status_code = 401
        return response
    flash(login_manager.login_message, "info")
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"

    @app.after_request
    def security_headers(response):
        # No view sets these itself, so plain extend (cheaper than setdefault).
        response.headers.extend(SECURITY_HEADERS)
        return response

    @app.before_request
    def note_last_seen():
        # Feeds "push inactive --days N"; written at most every few minutes
        # so a busy user does not cost a write per request.
        if request.endpoint in (None, "static") or not current_user.is_authenticated:
            return
        now = utcnow()
        seen = current_user.last_seen_at
        if seen is None or now - seen > LAST_SEEN_EVERY:
            db.session.execute(
                sa.update(User).where(User.id == current_user.id).values(last_seen_at=now)
            )
            db.session.commit()
