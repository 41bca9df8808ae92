"""How a capture is shown: who may see its secrets, the API form, cURL, hex."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import difflib
import hashlib
import itertools
import json
import re
import shlex
from http import HTTPStatus
from urllib.parse import parse_qsl

from flask import current_app, request

from ..devices.info import is_registration_payload, normalise
from ..display import INVISIBLE
from ..links import base_url
from ..models import Capture, utcnow
from ..receiver.masking import mask_cookies, mask_headers

HEX_LIMIT = 64 * 1024
SKIP_IN_CURL = {"host", "content-length", "connection", "accept-encoding"}
EXPECTED_FIELDS = [
    ("oneSignalUserId / subscription.id", ("oneSignalUserId",), ("subscription", "id")),
    ("oneSignalPushToken / oneSignalRegistrationId / subscription.token",
     ("oneSignalPushToken", "oneSignalRegistrationId", "oneSignalregistrationId"),
     ("subscription", "token")),
    ("oneSignalSubscribed / subscription.optedIn", ("oneSignalSubscribed",),
     ("subscription", "optedIn")),
    ("platform", ("platform",), None),
    ("appId", ("appId",), None),
    ("appVersion", ("appVersion",), None),
    ("os / osVersion", ("osVersion",), None),
    ("model", ("model", "hardware"), None),
    ("installationId", ("installationId",), None),
]  # fmt: skip


def viewer_session_hash() -> str | None:
    value = request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
    return hashlib.sha256(value.encode()).hexdigest() if value else None


def can_see_secrets(capture: Capture, viewer) -> bool:
    """Only the person who sent it sees its session cookies and Authorization."""
    if viewer is None or not viewer.is_authenticated:
        return False
    if capture.user_id is not None and capture.user_id == viewer.id:
        return True
    return capture.session_hash is not None and capture.session_hash == viewer_session_hash()


def shown_headers(capture: Capture, viewer) -> list:
    headers = capture.headers or []
    return headers if can_see_secrets(capture, viewer) else mask_headers(headers, current_app)


def shown_cookies(capture: Capture, viewer) -> list:
    cookies = capture.cookies or []
    if can_see_secrets(capture, viewer):
        return cookies
    return mask_cookies(cookies, current_app, capture.headers or [])


def body_text(capture: Capture) -> str | None:
    """The body as text when it is valid UTF-8 without NUL bytes, else None."""
    if capture.body is None:
        return None
    try:
        text = capture.body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text


def pretty_json(capture: Capture) -> str | None:
    if capture.parsed is None:
        return None
    return json.dumps(capture.parsed, indent=2, ensure_ascii=False)


def hexdump(data: bytes, limit: int = HEX_LIMIT) -> str:
    lines = []
    for offset in range(0, min(len(data), limit), 16):
        chunk = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexes:<47}  |{text}|")
    if len(data) > limit:
        lines.append(f"... {len(data) - limit} more bytes (download the body to see them)")
    return "\n".join(lines)


def gonative_view(capture: Capture) -> dict | None:
    """The registration fields understood, and which expected ones are missing."""
    data = capture.parsed
    if not is_registration_payload(data):
        return None
    info = normalise(data)
    missing = []
    for label, keys, nested in EXPECTED_FIELDS:
        present = any(data.get(k) not in (None, "") for k in keys)
        if nested and isinstance(data.get(nested[0]), dict):
            present = present or data[nested[0]].get(nested[1]) not in (None, "")
        if not present:
            missing.append(label)
    return {"info": info, "missing": missing}


def capture_url(capture: Capture) -> str:
    """The full URL the request was sent to, under SITE_URL (never the Host
    header of the request being viewed)."""
    url = base_url() + capture.path
    return url + "?" + capture.query_string if capture.query_string else url


def body_encoded(capture: Capture) -> tuple[str | None, str | None]:
    """(body, "utf-8") when the body is text, (base64, "base64") when not,
    (None, None) when there is none."""
    if capture.body is None:
        return None, None
    text = body_text(capture)
    if text is not None:
        return text, "utf-8"
    return base64.b64encode(capture.body).decode("ascii"), "base64"


# In a pasted command every character must be printable (line breaks and tabs
# are not: readline acts on them, and the command stays one line), and none
# may hide or reorder text. Others, and \\ ' ! (bash's own escapes), are
# written as \\xHH escapes of their UTF-8 bytes in a $'...' word.
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
_NOT_PLAIN_ASCII = re.compile(r"[^\x20\x22-\x26\x28-\x5b\x5d-\x7e]")


def _escaped(match: re.Match) -> str:
    char = match.group(0)
    if char.isprintable() and char not in "\\'!" and not _INVISIBLE.match(char):
        return char
    return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8"))


def _shell_word(text: str) -> str:
    """`text` as one shell word that bash (or zsh) reads back exactly:
    single-quoted, or ANSI-C quoted ($'...') when it holds a character that is
    unsafe to paste. No shell argument can hold a NUL: one becomes U+FFFD (the
    receiver stores none outside the body; a body with one is sent as a file)."""
    text = text.replace("\x00", "\ufffd")
    if text.isprintable() and not _INVISIBLE.search(text):
        return shlex.quote(text)
    return "$'" + _NOT_PLAIN_ASCII.sub(_escaped, text) + "'"


def curl_command(capture: Capture, viewer) -> str:
    """A command that repeats the capture, safe to paste into a shell: one
    line of visible characters in which each captured piece (method, URL,
    every header, the body) is one quoted word, and none of them can switch
    on a curl feature. Repeated headers stay repeated -H options, in order."""
    url = capture_url(capture)
    parts = ["curl", "-X", _shell_word(capture.method), _shell_word(url)]
    if any(char in url for char in "[]{}"):
        parts.append("--globoff")  # else curl reads them as URL patterns
    for name, value in shown_headers(capture, viewer):
        # "-H @x" would make curl read headers from the viewer's file x
        if name.lower() not in SKIP_IN_CURL and not name.startswith("@"):
            parts += ["-H", _shell_word(f"{name}: {value}")]
    text = body_text(capture)
    if capture.body:
        if text is not None:
            parts += ["--data-raw", _shell_word(text)]  # sends a leading "@" as it is
        else:
            parts += ["--data-binary", f"@capture-{capture.id}.bin"]
    return " ".join(parts)


def to_api(capture: Capture, viewer) -> dict:
    body, encoding = body_encoded(capture)
    return {
        "id": capture.id,
        "received_at": capture.received_at.isoformat() + "Z",
        "method": capture.method,
        "path": capture.path,
        "query": capture.query_string,
        "label": capture.label,
        "remote_addr": capture.remote_addr,
        "content_type": capture.content_type,
        "headers": shown_headers(capture, viewer),
        "cookies": shown_cookies(capture, viewer),
        "body": body,
        "body_encoding": encoding,
        "body_size": capture.body_size,
        "json": capture.parsed,
        "user": capture.user.email if capture.user else None,
        "device": capture.device.subscription_id if capture.device else None,
        "status": capture.status,
        "http_status": capture.http_status,
        "problems": capture.problems or [],
    }


HAR_CREATOR = {"name": "Push Lab", "version": "1.0"}


def har_entry(capture: Capture, viewer) -> dict:
    """One capture as a HAR 1.2 entry (for browser dev tools, proxies, Postman),
    masked like every other view. What HAR has no field for goes in "_"-prefixed
    fields, as the format allows: the label, the sender, the capture id. The
    receiver's answer is not stored, so the response holds its status only."""
    har_request = {
        "method": capture.method,
        "url": capture_url(capture),
        "httpVersion": "unknown",  # not kept with the capture
        "cookies": [{"name": n, "value": v} for n, v in shown_cookies(capture, viewer)],
        "headers": [{"name": n, "value": v} for n, v in shown_headers(capture, viewer)],
        "queryString": [
            {"name": n, "value": v}
            for n, v in parse_qsl(capture.query_string or "", keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": capture.body_size,
    }
    if capture.body:
        text, encoding = body_encoded(capture)
        post = {"mimeType": capture.content_type or "", "text": text}
        if encoding == "base64":
            post["_encoding"] = "base64"
            post["comment"] = "Not UTF-8 text: the body is base64-encoded."
        har_request["postData"] = post
    elif capture.body is None and capture.body_size:
        har_request["comment"] = "The body was over the size limit and was not stored."
    try:
        status_text = HTTPStatus(capture.http_status).phrase
    except ValueError:
        status_text = ""
    return {
        "startedDateTime": capture.received_at.isoformat() + "Z",
        "time": 0,
        "request": har_request,
        "response": {
            "status": capture.http_status,
            "statusText": status_text,
            "httpVersion": "unknown",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": "application/json"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "comment": "The receiver's answer; only its status is kept.",
        },
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
        "_remoteAddress": capture.remote_addr,
        "_captureId": capture.id,
        "_label": capture.label,
        "_user": capture.user.email if capture.user else None,
        "_status": capture.status,
        "_problems": capture.problems or [],
    }


COMPARE_MAX_ROWS = 500


def _flatten(value, prefix: str, out: dict) -> None:
    """{"a.b[0]": json text} for every leaf of a parsed JSON document."""
    if len(out) > COMPARE_MAX_ROWS * 4:
        return
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}[{index}]", out)
    else:
        out[prefix or "(document)"] = json.dumps(value, ensure_ascii=False)


def _changes(old: dict, new: dict) -> list[dict]:
    """Keys that differ between two flat mappings, in the order first seen."""
    rows = []
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        kind = "added" if a is None else "removed" if b is None else "changed"
        rows.append({"key": key, "a": a, "b": b, "kind": kind})
    return rows


def _header_map(headers: list) -> dict:
    merged: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def compare(a: Capture, b: Capture, viewer) -> dict:
    """What changed from capture `a` to capture `b`: request facts, headers
    (masked as everywhere), the JSON body key by key, or the text body line by
    line. Each list is cut at COMPARE_MAX_ROWS with a note."""

    def facts(c: Capture) -> dict:
        return {
            "request": f"{c.method} {c.path}" + (f"?{c.query_string}" if c.query_string else ""),
            "label": c.label or "none",
            "sent by": c.user.email if c.user else "anonymous",
            "device": c.device.subscription_id if c.device else "none",
            "content type": c.content_type or "none",
            "body size": f"{c.body_size} bytes",
            "status": f"{c.status} ({c.http_status})",
        }

    result = {
        "facts": _changes(facts(a), facts(b)),
        "headers": _changes(
            _header_map(shown_headers(a, viewer)), _header_map(shown_headers(b, viewer))
        ),
        "json": None,
        "text": None,
        "same_body": a.body == b.body,
    }
    if isinstance(a.parsed, dict | list) and isinstance(b.parsed, dict | list):
        flat_a: dict = {}
        flat_b: dict = {}
        _flatten(a.parsed, "", flat_a)
        _flatten(b.parsed, "", flat_b)
        result["json"] = _changes(flat_a, flat_b)
    elif not result["same_body"]:
        text_a, text_b = body_text(a), body_text(b)
        if text_a is not None and text_b is not None:
            lines = difflib.unified_diff(
                text_a.splitlines(), text_b.splitlines(),
                f"#{a.id}", f"#{b.id}", lineterm="", n=2,
            )  # fmt: skip
            result["text"] = list(itertools.islice(lines, COMPARE_MAX_ROWS + 1))
    result["cut"] = []
    for part in ("facts", "headers", "json", "text"):
        rows = result[part]
        if rows is not None and len(rows) > COMPARE_MAX_ROWS:
            result[part] = rows[:COMPARE_MAX_ROWS]
            result["cut"].append(part)
    return result


def ago(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long ago `when` (naive UTC) was, the way a person says it: "5 s
    ago", "3 min ago", "2 h ago", "4 d ago". The page's script keeps it current."""
    seconds = int(((now or utcnow()) - when).total_seconds())
    if seconds < 1:
        return "just now"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def distinct_words(parts) -> str:
    """The words of `parts` joined by spaces, each said once (case aside):
    ["android", "Android", "14"] reads "android 14", not "android Android 14"."""
    seen, words = set(), []
    for part in parts:
        for word in str(part or "").split():
            if word.casefold() not in seen:
                seen.add(word.casefold())
                words.append(word)
    return " ".join(words)


def exact_utc(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def query_pairs(capture: Capture) -> list[tuple[str, str]]:
    """The query string as (name, value) pairs, in order, repeats kept."""
    return parse_qsl(capture.query_string or "", keep_blank_values=True)


def form_view(capture: Capture) -> dict | None:
    """{"fields": [(name, value), ...], "files": [...]} when the parsed body is
    a form (urlencoded or multipart, or a form sent as JSON); None for JSON.
    The receiver keeps a form as {"form": {...}, "files": [...]}; a JSON body
    that happens to look like that starts with "{" and stays JSON."""
    parsed = capture.parsed
    if not (isinstance(parsed, dict) and isinstance(parsed.get("form"), dict)):
        return None
    if set(parsed) - {"form", "files"}:
        return None
    text = body_text(capture)
    if text is not None and text.lstrip()[:1] in ("{", "["):
        return None
    fields = [
        (name, value)
        for name, values in parsed["form"].items()
        for value in (values if isinstance(values, list) else [values])
    ]
    files = parsed.get("files") if isinstance(parsed.get("files"), list) else []
    return {"fields": fields, "files": [f for f in files if isinstance(f, dict)]}


def forward_views(capture: Capture) -> list[dict]:
    """The capture's exchanges with its endpoint's backend, newest first, each
    body as text (pretty when JSON) or a note that it is binary."""
    shown = []
    for exchange in reversed(capture.forwards or []):
        body = base64.b64decode(exchange.get("body_b64") or "")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = f"({len(body)} bytes, not UTF-8 text)"
        else:
            with contextlib.suppress(ValueError):
                text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        shown.append({**exchange, "text": text})
    return shown
