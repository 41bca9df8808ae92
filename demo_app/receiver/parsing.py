"""Turn one raw HTTP request into a capture record, without touching the database.

Everything here works on bytes and the WSGI environ, so nothing a sender puts
in a request can make it fail: the worst outcome is a problem noted on the
capture.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from http.cookies import CookieError, SimpleCookie

from werkzeug.wrappers import Request

from ..devices.info import is_registration_payload, message, normalise

LABEL_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Registration notes that say nothing is wrong with the payload: shown with
# the capture, but they leave its status "ok" (every iOS POST carries the
# first; the others only matter in cases the payload cannot tell).
NOTE_CODES = ("ios-subscribed-flag-unreliable", "token-not-reported", "consent-not-recorded")
MAX_DEPTH = 64
SEARCH_BODY_CHARS = 64 * 1024
RAW_HEADERS_KEY = "pushlab.raw_headers"
NEEDS_CLEANING = re.compile(r"\\u(0000|[dD][89a-fA-F])")


def clean(text: str | None, limit: int | None = None) -> str | None:
    """Text safe for any database column: no NUL (PostgreSQL refuses it), no lone
    surrogates, optionally cut."""
    if text is None:
        return None
    text = text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return text[:limit] if limit else text


def raw_headers(environ: dict) -> list[list[str]]:
    """Headers in the order received. Servers that hand us the raw list (our
    gunicorn hook, the dev server in tests) keep repeats; plain WSGI merges them."""
    raw = environ.get(RAW_HEADERS_KEY)
    if raw is not None:
        return [[clean(str(k)), clean(str(v))] for k, v in raw]
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key.replace("_", "-").title()
        else:
            continue
        headers.append([name, clean(str(value))])
    return headers


def parse_cookies(header_values: list[str]) -> list[list[str]]:
    cookies = []
    for value in header_values:
        for part in value.split(";"):
            if "=" not in part:
                continue
            name, _, val = part.strip().partition("=")
            cookies.append([clean(name), clean(val)])
    return cookies


def cookie_value(header_values: list[str], name: str) -> str | None:
    for value in header_values:
        try:
            jar = SimpleCookie()
            jar.load(value)
        except CookieError:
            continue
        if name in jar:
            return jar[name].value
    for cookie_name, val in parse_cookies(header_values):
        if cookie_name == name:
            return val
    return None


def json_depth(value) -> int:
    """Nesting depth, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend(
                (child, depth + 1) for child in children if isinstance(child, (dict, list))
            )
    return deepest


def _is_json_type(content_type: str) -> bool:
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json") or mime == "text/json"


class ParseResult:
    def __init__(self):
        # "ok", "warning" (understood, with problems) or "parse_error"
        self.status = "ok"
        self.http_status = 200
        self.parsed = None
        self.problems: list[str] = []
        self.error: dict | None = None
        self.info = None


def parse_body(body: bytes, content_type: str, environ: dict) -> ParseResult:
    result = ParseResult()
    mime = content_type.split(";", 1)[0].strip().lower()
    stripped = body.lstrip()
    if _is_json_type(content_type) and _looks_like_form(body):
        _parse_form_sent_as_json(body, environ, result)
    elif _is_json_type(content_type) or (not mime and stripped[:1] in (b"{", b"[")):
        _parse_json(body, result)
    elif mime in ("application/x-www-form-urlencoded", "multipart/form-data"):
        _parse_form(body, environ, result)
        if not mime:
            result.problems.append("No Content-Type header.")
    elif not body:
        result.problems.append("Empty body.")
    else:
        shown = clean(mime, 100) or "(none)"
        result.problems.append(
            f"Content-Type {shown} is not JSON; GoNative / Median apps send application/json."
        )
        if stripped[:1] in (b"{", b"["):
            with contextlib.suppress(ValueError):
                _parse_json(body, result, strict=False)
    if isinstance(result.parsed, dict) and is_registration_payload(result.parsed):
        result.info = normalise(result.parsed, kind="registration")
        result.problems.extend(result.info.warnings)
    elif result.status == "ok" and result.parsed is not None:
        result.problems.append(
            "No GoNative / Median registration fields (oneSignalUserId, subscription, ...) found."
        )
    if result.status == "ok" and has_problems(result.problems, result.info):
        result.status = "warning"  # still answered 200: the request itself was fine
    return result


def has_problems(problems: list[str], info=None) -> bool:
    """Whether anything but harmless notes (NOTE_CODES) was found."""
    notes = {message(code, info) for code in info.codes if code in NOTE_CODES} if info else set()
    return any(problem not in notes for problem in problems)


def _parse_json(body: bytes, result: ParseResult, strict: bool = True) -> None:
    def fail(message: str, **where):
        if not strict:
            result.problems.append("Body looks like JSON but is not: " + message)
            return
        result.status, result.http_status = "parse_error", 400
        result.error = {"error": f"Malformed JSON: {message}", **where}
        result.problems.append(f"Malformed JSON: {message}")

    if not body.strip():
        return fail("the body is empty; expected a JSON object.")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return fail(f"the body is not valid UTF-8 (byte {error.start}).", byte=error.start)
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except _NotJSON as error:
        return fail(f"{error} is not a JSON value (JSON has no NaN or Infinity).")
    except _TooLarge as error:
        # valid JSON, but no database stores the infinity Python reads it as
        result.problems.append(
            f"The number {error} is too large to keep a parsed copy: kept raw only."
        )
        return None
    except json.JSONDecodeError as error:
        return fail(
            f"{error.msg} at line {error.lineno}, column {error.colno}.",
            line=error.lineno,
            column=error.colno,
        )
    except ValueError as error:
        # int() refuses numbers of more than 4,300 digits (sys.int_info)
        return fail(f"a value JSON allows but Python will not read: {error}.")
    except RecursionError:
        too_deep = True
    else:
        too_deep = json_depth(document) > MAX_DEPTH
    if too_deep:
        result.problems.append(f"JSON nested deeper than {MAX_DEPTH} levels: kept raw only.")
        return
    # Only escapes can put a NUL or a lone surrogate in a parsed string.
    result.parsed = storable(document) if NEEDS_CLEANING.search(text) else document


class _NotJSON(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotJSON(name)


class _TooLarge(ValueError):
    pass


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _TooLarge(text[:40])
    return number


def storable(value):
    """The parsed document with strings every database accepts: a NUL or a lone
    surrogate (both valid JSON escapes) becomes U+FFFD. The raw body keeps them."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {clean(key): storable(item) for key, item in value.items()}
    return value


# key=value&key=value, as jQuery's $.param() writes an object: no white space,
# no JSON punctuation in the keys, every pair has its "=".
FORM_BODY = re.compile(rb"[^=&\s{}\[\]\"]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*&?")


def _looks_like_form(body: bytes) -> bool:
    return bool(FORM_BODY.fullmatch(body))


def _parse_form_sent_as_json(body: bytes, environ: dict, result: ParseResult) -> None:
    """The seed's jQuery sample: `data: {...}` with `contentType:
    "application/json"` and no JSON.stringify, so jQuery sends key=value&...
    labelled as JSON. Still a 400 (it is not JSON), saying why, with the form
    read and kept."""
    _parse_form(body, {**environ, "CONTENT_TYPE": "application/x-www-form-urlencoded"}, result)
    result.problems = [p for p in result.problems if not p.startswith("Form body:")]
    message = (
        "This is a form body (key=value&...) sent as application/json: the sender passed "
        "an object where JSON text was expected. With jQuery use data: "
        "JSON.stringify(yourObject); with fetch, body: JSON.stringify(yourObject). "
        "GoNative / Median apps themselves send JSON."
    )
    keys = sorted(result.parsed["form"]) if result.parsed else []
    result.status, result.http_status = "parse_error", 400
    result.error = {"error": message, "form_keys": keys}
    result.problems.insert(0, message)


def _parse_form(body: bytes, environ: dict, result: ParseResult) -> None:
    sub = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    request = Request(sub)
    request.max_form_parts = 1000
    try:
        form = {clean(k): [clean(v) for v in request.form.getlist(k)] for k in request.form}
        files = [
            {
                "field": clean(name),
                "filename": clean(f.filename),
                "content_type": clean(f.content_type),
                "size": len(f.read()),
            }
            for name, f in request.files.items(multi=True)
        ]
    except Exception as error:  # noqa: BLE001 - any parser failure is a note, not a crash
        result.problems.append(f"Form body could not be read: {type(error).__name__}.")
        return
    result.parsed = {"form": form, "files": files} if files else {"form": form}
    result.problems.append("Form body: GoNative / Median apps send JSON.")
