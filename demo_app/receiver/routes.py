"""The registration receiver: the endpoint the app's registration service posts to.

`/register`, `/register/<label>` (shared, read by admins) and `/r/<token>` (a
private endpoint) record every request, whatever its method, and answer it.
They are plain views and every hook and security header applies. Reading and
judging the request is `capture.py`; storing it, `store.py`, in the request:
the answer names the stored capture's id.

Who sent it: the user the request's cookies log in (session or remember-me
cookie, as on every page), but only for a request the app makes: a POST that
no browser marks as coming from another site (`Sec-Fetch-Site` absent, as from
the app's native HTTP client, or `same-origin`). Any other request is recorded
as anonymous: a page on another site that navigates a visitor's browser here
(a link, `location = ...`, a popup; SameSite=Lax cookies ride along) must not
put the visitor's name, email or device on a capture its author can read.

Exempt from CSRF by design: the app posts natively (or from a hidden web view
at the endpoint's origin) with the user's cookies and cannot carry a token.
What it can do is limited to recording a capture and linking the reported
device to the sender's own account: a forged cross-site POST carries no
SameSite=Lax cookie, and one marked cross-site is recorded as anonymous.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Response, current_app, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.routing import Rule

from ..extensions import csrf, db
from ..models import Endpoint
from . import bp, forward, replies, store
from .capture import Received, read, understood

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@csrf.exempt
def register(label: str | None = None):
    return receive(label=label)


@csrf.exempt
def endpoint_receiver(token: str):
    # /r/<token>/<suffix>: the suffix is kept on the capture and forwarded
    token, slash, suffix = token.partition("/")
    return receive(token=token, suffix=slash + suffix)


# Rules without a method list take every method, so a GET, a PUT or a method
# nobody has heard of is recorded and answered 405 by the receiver itself.
RULES = (
    ("/register", "receiver.register", register, {"label": None}),
    ("/register/<path:label>", "receiver.register", register, None),
    ("/r/<path:token>", "receiver.endpoint", endpoint_receiver, None),
)


@bp.record_once
def _add_rules(state) -> None:
    for path, endpoint, view, defaults in RULES:
        state.app.url_map.add(Rule(path, endpoint=endpoint, defaults=defaults))
        state.app.view_functions[endpoint] = view


@bp.before_app_request
def _refused_host_is_recorded():
    """A request for a host the site does not answer to (TRUSTED_HOSTS) is
    refused before routing; one sent to the receiver is still recorded."""
    if not isinstance(request.routing_exception, SecurityError):
        return None
    adapter = current_app.url_map.bind("receiver", path_info=request.path)
    try:
        endpoint, args = adapter.match(method=request.method)
    except HTTPException:
        return None
    if endpoint not in ("receiver.register", "receiver.endpoint"):
        return None
    return current_app.view_functions[endpoint](**args)


def receive(label: str | None = None, token: str | None = None, suffix: str = "") -> Response:
    """Record one request and answer it."""
    user_id, email = _sender()
    endpoint = _endpoint(token)
    received = read(request, label, endpoint.id if endpoint else None, token, user_id)
    reply = replies.choose(endpoint, received)
    try:
        capture_id = store.save(received)
    except store.Throttled as throttled:
        if reply:
            reply.cancel()
        return _throttled(received, throttled.retry_after)
    except OSError as error:
        if reply:
            reply.cancel()
        current_app.logger.error("capture log not writable: %s", type(error).__name__)
        return _json({"error": "The capture could not be stored. Try again."}, 503)
    if capture_id is None:
        if reply:
            reply.cancel(received)
        return _logged_only(received)
    backend = _forward(endpoint, received, capture_id, suffix)
    if backend is not None:
        if reply:
            reply.cancel()
        return backend
    if reply is not None:
        return reply.send()
    if received.error is not None:
        response = _json({"capture_id": capture_id, **received.error}, received.http_status)
        if received.http_status == 405:
            response.headers["Allow"] = "POST"
        return response
    return _json(understood(received, capture_id, email))


def _forward(endpoint, received: Received, capture_id: int, suffix: str) -> Response | None:
    """Send the stored capture on to the endpoint's backend, if it has one,
    and note what came back; the backend's answer when the owner chose to
    hand it to the app (and there is one), else None."""
    if endpoint is None or not endpoint.forward_url or received.body is None:
        return None
    exchange = forward.send(endpoint.forward_url, received.method, suffix,
                            received.query_string, received.headers, received.body)  # fmt: skip
    answered = endpoint.forward_answer == "backend" and exchange["status"] is not None
    exchange["answered_app"] = answered
    store.note_forward(capture_id, exchange, answered)
    return forward.backend_answer(exchange) if answered else None


def _sender() -> tuple[int | None, str | None]:
    """(user id, email) of the logged-in sender of a request the app makes;
    (None, None) for anything else (see the module's docstring)."""
    if request.method != "POST" or not current_user.is_authenticated:
        return None, None
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return None, None
    return current_user.id, current_user.email


def _throttled(received: Received, retry_after: int) -> Response:
    per_minute = current_app.config["REGISTER_LIMIT_PER_MINUTE"]
    response = _json(
        {
            "error": f"Too many requests from {received.remote_addr}: this receiver takes "
            f"{per_minute} a minute from one address (REGISTER_LIMIT_PER_MINUTE). "
            "This one was counted, not stored.",
            "retry_after": retry_after,
        },
        429,
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _logged_only(received: Received) -> Response:
    """The database could not take the capture: it is in the capture log."""
    kept = {
        "stored": "log only",
        "message": "The database is unavailable: this request was kept in the capture log "
        "and will be loaded by `flask --app wsgi captures import-log`.",
    }
    if received.error is None:
        return _json({"status": "logged", **kept}, 202)
    return _json({"capture_id": None, **received.error, **kept}, received.http_status)


def _endpoint(token: str | None):
    """The endpoint `token` names (id and custom reply); None for the shared
    /register or an unknown token."""
    if token is None or not TOKEN_RE.match(token):
        return None
    columns = (Endpoint.id, Endpoint.reply_status, Endpoint.reply_content_type,
               Endpoint.reply_body, Endpoint.reply_delay_ms, Endpoint.forward_url,
               Endpoint.forward_answer)  # fmt: skip
    try:
        return db.session.execute(sa.select(*columns).where(Endpoint.token == token)).first()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return None


def _json(body: dict, status: int = 200) -> Response:
    response = current_app.json.response(body)
    response.status_code = status
    return response
