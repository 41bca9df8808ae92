"""`POST /register`: the endpoint the app's registration service posts to.

Exempt from CSRF by design: the app posts natively (or from a hidden web view
at the endpoint's origin) with the user's cookies and cannot carry a token.
What it can do is limited to recording a capture and linking the reported
device to the sender's own account: nothing a forged cross-site POST could
abuse beyond adding a device to the victim's list, which the victim sees and
can remove.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator

import sqlalchemy as sa
from flask import Response, current_app, render_template, request
from flask_login import current_user
from flask_login.utils import decode_cookie
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_host

from .. import throttle
from ..database import bind, raw_transaction, write_lock
from ..devices import service as devices
from ..extensions import csrf, db
from ..links import site_url
from ..models import Capture, Endpoint, User, utcnow
from ..security import SECURITY_HEADERS, touch_last_seen, user_for_id
from . import bp
from .masking import mask_headers
from .parsing import (
    LABEL_RE,
    SEARCH_BODY_CHARS,
    clean,
    cookie_value,
    parse_body,
    parse_cookies,
    raw_headers,
)
from .store import append_to_log, prune

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CHUNK = 64 * 1024
DRAIN_CAP = 256 * 1024 * 1024  # stop counting an oversized body after this
PRUNE_EVERY = 500
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@bp.route("/register", defaults={"label": None}, methods=METHODS)
@bp.route("/register/<path:label>", methods=METHODS)
@csrf.exempt
def register(label: str | None):
    # Requests normally reach receive() through ReceiverMiddleware (see
    # fast.py) before Flask routes them; this route serves url_for() and any
    # setup without the middleware.
    return receive(request._get_current_object(), label)


@bp.route("/r/<path:token>", methods=METHODS, endpoint="endpoint")
@csrf.exempt
def endpoint_receiver(token: str):
    return receive(request._get_current_object(), None, token)


def read_body(request: Request, limit: int) -> tuple[bytes | None, int]:
    """(body, size). Body is None when over `limit`; its size is still counted
    (up to DRAIN_CAP) so the capture can say how large it was."""
    stream = request.stream
    declared = request.content_length
    if declared is not None and declared > limit:
        return None, _drain(stream, 0, declared)
    data = stream.read(limit + 1)
    if len(data) <= limit:
        return data, len(data)
    return None, _drain(stream, len(data), None)


def _drain(stream, counted: int, declared: int | None) -> int:
    try:
        while counted < DRAIN_CAP:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            counted += len(chunk)
    except Exception as error:  # noqa: BLE001 - a client that hangs up mid-body
        current_app.logger.info("oversized body cut short: %s", type(error).__name__)
    return max(counted, declared or 0)


def sender(request: Request) -> tuple[int | None, str | None]:
    """The logged-in user behind the request's cookies, if any: (id, email).

    Read the way Flask-Login reads them: the login in the signed session
    cookie, else the one in the signed remember-me cookie, each accepted only
    while its session token is current (security.user_for_id). Also keeps the
    user's "last seen" fresh, since the app posts while the user is using it.
    """
    try:
        for alt_id in _login_ids(request):
            row = user_for_id(alt_id, User.id, User.email, User.last_seen_at)
            if row is not None:
                touch_last_seen(row.id, row.last_seen_at)
                return row.id, row.email
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
    return None, None


def _login_ids(request: Request) -> Iterator[str]:
    """The alternative ids in the session and remember-me cookies, in the order
    Flask-Login tries them (the second only read if the first fails)."""
    app = current_app
    if app.config["SESSION_COOKIE_NAME"] in request.cookies:
        session = app.session_interface.open_session(app, request)
        if session and session.get("_user_id"):
            yield session["_user_id"]
    remember = request.cookies.get(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    decoded = decode_cookie(remember) if remember else None
    if decoded:
        yield decoded


def receive(request: Request, label: str | None, token: str | None = None) -> Response:
    """Record one request and answer it; runs inside an app context.

    `label` is the free label of `/register/<label>`; `token` the private
    endpoint of `/r/<token>`."""
    config = current_app.config
    limit = config["REGISTER_MAX_BYTES"]
    body, size = read_body(request, limit)
    environ = request.environ
    headers = raw_headers(environ)
    cookie_headers = [v for k, v in headers if k.lower() == "cookie"]
    content_type = clean(request.headers.get("Content-Type", ""), 1000)
    record = {
        "log_key": uuid.uuid4().hex,
        "received_at": utcnow(),
        "method": clean(request.method, 16),
        "path": clean(request.path, 2048),
        "label": label if label and LABEL_RE.match(label) else None,
        "query_string": clean(environ.get("QUERY_STRING", ""), 8192),
        "remote_addr": clean(request.remote_addr, 64),
        "content_type": content_type or None,
        "headers": headers,
        "cookies": parse_cookies(cookie_headers),
        "body_size": size,
        "parsed": None,
        "platform": None,
        "status": "ok",
        "http_status": 200,
        "problems": [],
        "session_hash": None,
        "user_id": None,
        "endpoint_id": None,
    }
    session_value = cookie_value(cookie_headers, config.get("SESSION_COOKIE_NAME", "session"))
    if session_value:
        record["session_hash"] = hashlib.sha256(session_value.encode()).hexdigest()
    endpoint_id = _endpoint_id(token)
    record["endpoint_id"] = endpoint_id
    result, error_body = _judge(request, record, label, token, endpoint_id, body, size, limit,
                                content_type)  # fmt: skip
    user_id, user_email = sender(request)
    record["user_id"] = user_id
    masked_headers = mask_headers(headers, current_app)
    record["search_text"] = _search_text(record, masked_headers, body)

    try:
        saved = _save(record, body, result, user_id)
    except Throttled as over:
        response = _json(
            {
                "error": f"Too many requests from {record['remote_addr']}: this receiver takes "
                f"{config['REGISTER_LIMIT_PER_MINUTE']} a minute from one address "
                "(REGISTER_LIMIT_PER_MINUTE). This one was counted, not stored.",
                "retry_after": over.retry_after,
            },
            429,
        )
        response.headers["Retry-After"] = str(over.retry_after)
        return response
    capture_id, device_id = saved
    if capture_id is None:
        try:
            append_to_log(record, masked_headers, body)
        except OSError as error:
            current_app.logger.error("capture log not writable: %s", error)
            return _json({"error": "The capture could not be stored. Try again."}, 503)
        kept = {
            "stored": "log only",
            "message": "The database is unavailable: this request was kept in the capture log "
            "and will be loaded by `flask --app wsgi captures import-log`.",
        }
        if error_body is None:
            return _json({"status": "logged", **kept}, 202)
        error_body = {**error_body, **kept}

    if error_body is not None:
        response = _json({"capture_id": capture_id, **error_body}, record["http_status"])
        if record["http_status"] == 405:
            response.headers["Allow"] = "POST"
        return response
    response = _json(_understood(request, capture_id, record, result, device_id, user_email))
    if capture_id % PRUNE_EVERY == 0:
        app = current_app._get_current_object()
        response.call_on_close(lambda: _prune_quietly(app))
    return response


def _host_trusted(request: Request) -> bool:
    trusted = current_app.config["TRUSTED_HOSTS"]
    if not trusted:
        return True
    try:
        get_host(request.environ, trusted)
    except SecurityError:
        return False
    return True


def _endpoint_id(token: str | None) -> int | None:
    """The id of the endpoint `token` names; None for the shared /register."""
    if token is None or not TOKEN_RE.match(token):
        return None
    try:
        return db.session.scalar(sa.select(Endpoint.id).where(Endpoint.token == token))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return None


def _json(body: dict, status: int = 200) -> Response:
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.extend(SECURITY_HEADERS)
    return response


def _judge(request: Request, record: dict, label, token, endpoint_id, body, size: int,
           limit: int, content_type: str):  # fmt: skip
    """Decide what the request is (ok, rejected, too large, unparsable) and fill
    the record in; (parse result or None, error body for a 4xx or None)."""
    rejected = None
    if label is not None and not LABEL_RE.match(label):
        rejected = 400, "A label is 1 to 64 letters, digits, - or _."
    elif token is not None and endpoint_id is None:
        rejected = 404, "No receiver endpoint has this URL: it was deleted or given a new URL."
    elif not _host_trusted(request):
        rejected = 400, "This site does not answer to that Host header (TRUSTED_HOSTS)."
    if rejected:
        status, message = rejected
        record.update(status="rejected", http_status=status, problems=[message])
        return None, {"error": message}
    if request.method != "POST":
        message = f"{request.method} is not accepted here: the app POSTs JSON to this URL."
        record.update(status="rejected", http_status=405, problems=[message])
        return None, {"error": message, "allowed": ["POST"]}
    if body is None:
        message = (
            f"The body is {size} bytes, over this receiver's limit of {limit} bytes "
            "(REGISTER_MAX_BYTES). Headers and size were recorded; the body was not."
        )
        record.update(status="too_large", http_status=413, problems=[message])
        return None, {"error": message, "limit": limit, "size": size}
    result = parse_body(body, content_type, request.environ)
    record.update(
        status=result.status,
        http_status=result.http_status,
        parsed=result.parsed,
        problems=[clean(p, 1000) for p in result.problems],
        platform=result.info.platform if result.info else None,
    )
    return result, result.error


class Throttled(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def _save(record, body, result, user_id) -> tuple[int | None, int | None]:
    """Count the sender's address, then device, link and capture, in one
    transaction: (capture id, device id). Over the per-address limit, only the
    count is kept and Throttled is raised. If the write fails, the capture
    alone (without the parsed copy) is tried; a capture id of None means the
    database is down. Straight on a DBAPI connection of its own: the receiver
    is the hot path and needs no ORM objects."""
    fields = {**record, "body": body, "device_id": None}
    per_minute = current_app.config["REGISTER_LIMIT_PER_MINUTE"]
    db.session.rollback()  # the sender lookup's read transaction, if any
    try:
        capture = bind(INSERT_CAPTURE, fields)  # JSON encoding before the lock
        with write_lock(), raw_transaction() as conn:
            retry_after = (
                throttle.count_request(conn, record["remote_addr"], per_minute)
                if per_minute > 0
                else 0
            )
            device_id = capture_id = None
            if not retry_after:
                if result is not None and result.info is not None:
                    device_id = devices.upsert_device(conn, result.info)
                    if device_id is not None and user_id is not None:
                        devices.link(conn, user_id, device_id, "registration", result.info,
                                     result.parsed)  # fmt: skip
                capture_id = conn.execute(capture, {"device_id": device_id}).scalar_one()
    except (sa.exc.SQLAlchemyError, TypeError, ValueError) as error:
        current_app.logger.warning("capture not saved with device: %s", type(error).__name__)
    else:
        if retry_after:
            raise Throttled(retry_after)
        return capture_id, device_id
    fields["parsed"] = None
    fields["problems"] = [*fields["problems"], "The device or parsed body could not be saved."]
    try:
        with write_lock(), raw_transaction() as conn:
            return conn.execute(INSERT_CAPTURE, fields).scalar_one(), None
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.error("capture kept in the log only: %s", type(error).__name__)
    return None, None


INSERT_CAPTURE = sa.insert(Capture.__table__).returning(Capture.__table__.c.id)


def _understood(request: Request, capture_id, record, result, device_id, user_email) -> dict:
    info = result.info if result else None
    understood = None
    if info:
        understood = {name: getattr(info, name) for name in UNDERSTOOD_FIELDS}
    return {
        "capture_id": capture_id,
        "status": record["status"],
        "label": record["label"],
        "user": user_email or "anonymous",
        "device": (
            {"subscription_id": info.subscription_id.lower(), "linked": user_email is not None}
            if device_id
            else None
        ),
        "understood": understood,
        "warnings": record["problems"],
        "inspect": f"/inspector/{capture_id}",
    }


UNDERSTOOD_FIELDS = (
    "shape", "subscription_id", "onesignal_id", "push_token", "subscribed",
    "requires_consent", "external_id", "platform", "app_id", "app_version", "os",
    "os_version", "model", "installation_id", "custom_data",
)  # fmt: skip


def _search_text(record: dict, masked_headers: list, body: bytes | None) -> str:
    parts = [record["method"], record["path"], record["label"] or "", record["query_string"],
             record["remote_addr"] or "", record["content_type"] or ""]  # fmt: skip
    for name, value in masked_headers:
        if name.lower() != "cookie":
            parts.append(f"{name}: {value}")
    if body:
        parts.append(body[:SEARCH_BODY_CHARS].decode("utf-8", "replace"))
    return clean("\n".join(parts).lower(), SEARCH_BODY_CHARS + 16384)


def _prune_quietly(app) -> None:
    with app.app_context():
        try:
            prune(app.config["CAPTURE_MAX_COUNT"], app.config["CAPTURE_MAX_DAYS"])
        except sa.exc.SQLAlchemyError as error:
            db.session.rollback()
            app.logger.warning("capture pruning failed: %s", type(error).__name__)


@bp.get("/receiver", endpoint="help")
def help_page():
    from ..endpoints.service import endpoints_of

    shared_url = site_url("receiver.register")
    # Only an endpoint the viewer owns is offered as theirs: one shared with
    # them by somebody else is that person's to read.
    mine = (
        [e for e in endpoints_of(current_user.id) if e.owner_id == current_user.id]
        if current_user.is_authenticated
        else []
    )
    register_url = site_url("receiver.endpoint", token=mine[0].token) if mine else shared_url
    config_json = json.dumps(
        {
            "registration": {
                "active": True,
                "endpoints": [{"url": register_url, "urlRegex": ".*", "dataType": "onesignal"}],
            }
        },
        indent=2,
    )
    return render_template(
        "receiver/help.html",
        register_url=register_url,
        shared_url=shared_url,
        endpoint=mine[0] if mine else None,
        config_json=config_json,
        max_bytes=current_app.config["REGISTER_MAX_BYTES"],
        max_count=current_app.config["CAPTURE_MAX_COUNT"],
        max_days=current_app.config["CAPTURE_MAX_DAYS"],
        per_minute=current_app.config["REGISTER_LIMIT_PER_MINUTE"],
    )
