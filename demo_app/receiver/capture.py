"""One request to the receiver, read and judged before anything is stored.

`read()` turns the request into a `Received`: what will be kept (the capture's
columns), what the payload says (the parse result) and what to answer. No
database work happens here, so nothing a sender puts in a request can fail it:
the worst outcome is a problem noted on the capture.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid

from flask import Request, current_app
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host

from ..devices.info import Info, looks_like_uuid
from ..models import Capture, utcnow
from .masking import mask_headers
from .parsing import (
    LABEL_RE,
    SEARCH_BODY_CHARS,
    ParseResult,
    clean,
    cookie_value,
    parse_body,
    parse_cookies,
    raw_headers,
)

CHUNK = 64 * 1024
DRAIN_CAP = 256 * 1024 * 1024  # stop counting an oversized body after this


@dataclasses.dataclass(slots=True)
class Received:
    """A request as the receiver keeps it: a field for each of the capture's
    columns (`columns()`), then what the answer and the device link need."""

    log_key: str
    received_at: dt.datetime
    method: str
    path: str
    label: str | None
    query_string: str
    remote_addr: str | None
    content_type: str | None
    headers: list
    cookies: list
    body: bytes | None
    body_size: int
    session_hash: str | None
    endpoint_id: int | None
    user_id: int | None
    search_text: str = ""
    status: str = "ok"
    http_status: int = 200
    problems: list = dataclasses.field(default_factory=list)
    parsed: dict | list | None = None
    platform: str | None = None
    device_id: int | None = None
    reply: dict | None = None  # the endpoint's custom reply, as sent
    forwards: list | None = None  # set after the capture is stored (forward.py)
    # not stored as such
    result: ParseResult | None = None
    error: dict | None = None
    masked_headers: list = dataclasses.field(default_factory=list)

    @property
    def info(self) -> Info | None:
        return self.result.info if self.result is not None else None

    def columns(self) -> dict:
        """The capture row to insert."""
        return {name: getattr(self, name) for name in CAPTURE_COLUMNS}

    def reject(self, status: int, message: str, **error) -> None:
        self.status, self.http_status, self.problems = "rejected", status, [message]
        self.error = {"error": message, **error}


# The capture's columns, as the model has them; `Received` names each one
# (tests/test_receiver.py holds the two together).
CAPTURE_COLUMNS = tuple(c.name for c in Capture.__table__.columns if c.name != "id")


class BrokenBody(Exception):
    """The body could not be read to its end as sent."""


def read_body(request: Request, limit: int) -> tuple[bytes | None, int]:
    """(body, size). Body is None when over `limit`; its size is still counted
    (up to DRAIN_CAP) so the capture can say how large it was."""
    stream = request.stream
    declared = request.content_length
    if declared is not None and declared > limit:
        return None, _drain(stream, 0, declared)
    try:
        data = stream.read(limit + 1)
    except OSError as error:  # a malformed chunked body, a client gone mid-body
        raise BrokenBody(str(error)) from error
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


def read(request: Request, label: str | None, endpoint_id: int | None, token: str | None,
         user_id: int | None) -> Received:  # fmt: skip
    """The request as a `Received`, judged: ok, rejected, too large or unparsable.

    `label` is the free label of `/register/<label>`; `token` the private
    endpoint of `/r/<token>` and `endpoint_id` the endpoint it names, if any."""
    config = current_app.config
    limit = config["REGISTER_MAX_BYTES"]
    try:
        body, size, broken = *read_body(request, limit), None
    except BrokenBody as error:
        body, size, broken = b"", 0, error
    environ = request.environ
    headers = raw_headers(environ)
    cookie_headers = [v for k, v in headers if k.lower() == "cookie"]
    session_value = cookie_value(cookie_headers, config.get("SESSION_COOKIE_NAME", "session"))
    received = Received(
        log_key=uuid.uuid4().hex,
        received_at=utcnow(),
        method=clean(request.method, 16),
        path=clean(request.path, 2048),
        label=label if label and LABEL_RE.match(label) else None,
        query_string=clean(environ.get("QUERY_STRING", ""), 8192),
        remote_addr=clean(request.remote_addr, 64),
        content_type=clean(request.headers.get("Content-Type", ""), 1000) or None,
        headers=headers,
        cookies=parse_cookies(cookie_headers),
        body=body,
        body_size=size,
        session_hash=hashlib.sha256(session_value.encode()).hexdigest() if session_value else None,
        endpoint_id=endpoint_id,
        user_id=user_id,
    )
    if broken is not None:
        received.body = None
        received.reject(400, f"The body could not be read as sent ({clean(str(broken), 200)}): "
                        "a malformed chunked encoding, or the client hung up.")  # fmt: skip
    else:
        _judge(request, received, label, token, limit)
    received.masked_headers = mask_headers(headers, current_app)
    received.search_text = _search_text(received)
    return received


def _judge(request: Request, received: Received, label, token, limit: int) -> None:
    if label is not None and not LABEL_RE.match(label):
        return received.reject(400, "A label is 1 to 64 letters, digits, - or _.")
    if token is not None and received.endpoint_id is None:
        return received.reject(
            404, "No receiver endpoint has this URL: it was deleted or given a new URL."
        )
    if not host_trusted(request):
        return received.reject(
            400, "This site does not answer to that Host header (TRUSTED_HOSTS)."
        )
    if request.method != "POST":
        message = f"{request.method} is not accepted here: the app POSTs JSON to this URL."
        return received.reject(405, message, allowed=["POST"])
    if received.body is None:
        message = (
            f"The body is {received.body_size} bytes, over this receiver's limit of {limit} "
            "bytes (REGISTER_MAX_BYTES). Headers and size were recorded; the body was not."
        )
        received.status, received.http_status, received.problems = "too_large", 413, [message]
        received.error = {"error": message, "limit": limit, "size": received.body_size}
        return None
    result = parse_body(received.body, received.content_type or "", request.environ)
    received.result = result
    received.status, received.http_status = result.status, result.http_status
    received.parsed = result.parsed
    received.problems = [clean(p, 1000) for p in result.problems]
    received.platform = result.info.platform if result.info else None
    received.error = result.error
    return None


def host_trusted(request: Request) -> bool:
    trusted = current_app.config["TRUSTED_HOSTS"]
    if not trusted:
        return True
    try:
        get_host(request.environ, trusted)
    except SecurityError:
        return False
    return True


def _search_text(received: Received) -> str:
    parts = [received.method, received.path, received.label or "", received.query_string,
             received.remote_addr or "", received.content_type or ""]  # fmt: skip
    for name, value in received.masked_headers:
        if name.lower() != "cookie":
            parts.append(f"{name}: {value}")
    if received.body:
        text = received.body[:SEARCH_BODY_CHARS].decode("utf-8", "replace")
        parts.append(text)
        if "\\" in text and received.parsed is not None:
            # the JSON as the app meant it too: "Zo\u00eb" also as "Zoë", "\/" as "/"
            decoded = json.dumps(received.parsed, ensure_ascii=False)
            parts.append(decoded[:SEARCH_BODY_CHARS])
    return clean("\n".join(parts).lower(), SEARCH_BODY_CHARS + 16384)


def understood(received: Received, capture_id: int, user_email: str | None) -> dict:
    """The answer to a request that was stored: what the receiver made of it."""
    info = received.info
    names_device = info is not None and looks_like_uuid(info.subscription_id)
    return {
        "capture_id": capture_id,
        "status": received.status,
        "label": received.label,
        "user": user_email or "anonymous",
        "device": (
            {"subscription_id": info.subscription_id.lower(), "linked": user_email is not None}
            if names_device
            else None
        ),
        "understood": {name: getattr(info, name) for name in UNDERSTOOD_FIELDS} if info else None,
        "warnings": received.problems,
        "inspect": f"/inspector/{capture_id}",
    }


UNDERSTOOD_FIELDS = (
    "shape", "subscription_id", "onesignal_id", "push_token", "subscribed",
    "requires_consent", "external_id", "platform", "app_id", "app_version", "os",
    "os_version", "model", "installation_id", "custom_data",
)  # fmt: skip
