"""Headers on every response, the session user, and the safe-redirect rule."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, abort, flash, has_request_context, jsonify, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from .extensions import db, login_manager
from .models import Login, User, utcnow

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
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def touch_last_seen(user_id: int, seen: dt.datetime | None) -> None:
    """Note activity for "push inactive": written at most every few minutes so a
    busy user does not cost a write per request; a busy or absent database
    must not fail the request."""
    now = utcnow()
    if seen is not None and now - seen <= LAST_SEEN_EVERY:
        return
    try:
        db.session.execute(sa.update(User).where(User.id == user_id).values(last_seen_at=now))
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()


def is_safe_next(target: str | None) -> bool:
    """Only a path inside this site: no scheme, no host, no `//` or `/\\` tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


class SessionInterface(SecureCookieSessionInterface):
    """Secure session cookies whenever the request came over HTTPS (directly or
    as a trusted proxy says), and always when SESSION_COOKIE_SECURE is set."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (
            has_request_context() and request.is_secure
        )


def _split_alt_id(alt_id) -> tuple[int, str] | None:
    user_id, _, token = str(alt_id or "").partition(":")
    try:
        return (int(user_id), token) if token else None
    except ValueError:
        return None


# Every logged-in request loads its user: one cached statement costs about
# half of what Session.get builds anew each time.
_USER_BY_LOGIN = (
    sa.select(User)
    .join(Login, Login.user_id == User.id)
    .where(Login.user_id == sa.bindparam("user_id"), Login.token == sa.bindparam("token"))
)


def user_for_id(alt_id: str | None) -> User | None:
    """The account a session or remember-me cookie names, while that cookie is
    current: the alternative id is "<user id>:<login token>" (User.get_id),
    valid while that browser's login (a Login row) exists. None for an ended,
    malformed or unknown one."""
    parsed = _split_alt_id(alt_id)
    if parsed is None:
        return None
    user_id, token = parsed
    found = db.session.execute(
        _USER_BY_LOGIN, {"user_id": user_id, "token": token}
    ).scalar_one_or_none()
    if found is not None:
        found.login_token = token
    return found


@login_manager.user_loader
def load_user(alt_id: str) -> User | None:
    try:
        return user_for_id(alt_id)
    except sa.exc.SQLAlchemyError:
        # Database down: treat the request as anonymous rather than fail it
        # (the receiver still keeps the capture in its log).
        db.session.rollback()
        return None


def _secure_remember_cookie(response, name: str) -> None:
    """Flask-Login reads REMEMBER_COOKIE_SECURE once; over HTTPS mark it Secure anyway."""
    cookies = response.headers.getlist("Set-Cookie")
    if not any(c.startswith(name + "=") and "; Secure" not in c for c in cookies):
        return
    response.headers.remove("Set-Cookie")
    for cookie in cookies:
        if cookie.startswith(name + "=") and "; Secure" not in cookie:
            cookie += "; Secure"
        response.headers.add("Set-Cookie", cookie)


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
    # Flask-Login's session protection hashes the address and user agent on
    # every request and, in its "basic" mode, only marks a mismatching session
    # as not fresh, which nothing here reads (no fresh_login_required). It
    # would also re-sign the session cookie on each registration POST the app
    # sends natively with another user agent. What ends a login here is the
    # per-account session token (see user_for_id), checked on every request.
    login_manager.session_protection = None
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"

    app.session_interface = SessionInterface()

    @app.after_request
    def security_headers(response):
        # No view sets these itself, so plain extend (cheaper than setdefault).
        response.headers.extend(SECURITY_HEADERS)
        return response

    @app.after_request
    def private_pages(response):
        """Nothing shown to a logged-in user is kept by a browser's or a
        proxy's cache: pages hold endpoint URLs, open tokens, captures."""
        if request.endpoint == "static" or not current_user.is_authenticated:
            return response
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
        return response

    def secure_remember_cookie(response):
        if request.is_secure and "Set-Cookie" in response.headers:
            name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            _secure_remember_cookie(response, name)
        return response

    # after_request hooks run last-registered first; Flask-Login sets the
    # remember cookie in its own hook, so this one goes to the front of the
    # list to run after it.
    app.after_request_funcs.setdefault(None, []).insert(0, secure_remember_cookie)

    @app.before_request
    def refuse_nul():
        # No text column takes a NUL on PostgreSQL; the receiver records
        # whatever it is sent and cleans it itself.
        if request.blueprint == "receiver":
            return None
        values = [v for _, v in request.args.items(multi=True)]
        if request.method == "POST" and request.mimetype in FORM_TYPES:
            values += [v for _, v in request.form.items(multi=True)]
        if any("\x00" in v for v in values):
            abort(400, "A field holds a NUL character, which no field here takes.")
        return None

    @app.before_request
    def note_last_seen():
        # Feeds "push inactive --days N"; written at most every few minutes
        # so a busy user does not cost a write per request.
        if request.endpoint in (None, "static") or not current_user.is_authenticated:
            return
        touch_last_seen(current_user.id, current_user.last_seen_at)
