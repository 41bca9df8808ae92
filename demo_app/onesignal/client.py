"""The OneSignal REST client: one small module on `requests`.

POST {ONESIGNAL_API_URL}/notifications with `Authorization: Key <App API key>`.
Bounded retries for 429 and 5xx only, honouring Retry-After and reusing the
same idempotency key, so a retried request is never delivered twice. A send
made during a web request has a total deadline (ONESIGNAL_DEADLINE, well under
gunicorn's worker timeout): a wait that would pass it is not slept but handed
back (`SendResult.retry_after`) for the job runner to retry. The API key is
never put in a result, a log line or an error message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

import requests
from flask import current_app

CHUNK = 2000  # subscription ids per request (the docs allow more; the SDKs say 2,000)
MAX_RETRY_AFTER = 86400.0  # a day: any longer Retry-After is a fault
MASKED_KEY = "Key ••••••••"

_local = threading.local()


def _session() -> requests.Session:
    """One pooled session per thread: connections to OneSignal are reused."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        # Proxy settings are read from the environment once, here, instead of
        # on every request (which also re-reads ~/.netrc each time).
        session.proxies.update(
            requests.utils.get_environ_proxies(current_app.config["ONESIGNAL_API_URL"])
        )
        session.trust_env = False
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session


@dataclass
class SendResult:
    """What happened, in words a person understands."""

    outcome: str  # sent, partial, not_sent, rejected, auth, rate_limited, unavailable,
    #               timeout, unreachable, bad_response, not_configured
    summary: str
    http_status: int | None = None
    notification_id: str | None = None
    invalid: list[str] = field(default_factory=list)
    errors: list | dict | None = None
    hints: list[str] = field(default_factory=list)
    response_text: str | None = None
    request_shown: dict | None = None
    attempts: int = 0
    duration_ms: float = 0.0
    # seconds OneSignal asked us to wait before a retry that did not fit the deadline
    retry_after: float | None = None
    # the page of this site the push opens in the app (without its open token)
    page_url: str | None = None
    # whom the request named: "devices", "device" or "external_id", and the ids
    target_kind: str | None = None
    recipients: list[str] = field(default_factory=list)
    # what the send result leads with (set by the page that shows it)
    headline: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("sent", "partial")


def configured() -> bool:
    return bool(
        current_app.config.get("ONESIGNAL_APP_ID") and current_app.config.get("ONESIGNAL_API_KEY")
    )


def build_body(
    *, title: str, message: str, target_url: str | None = None, data: dict | None = None,
    subscription_ids: list[str] | None = None, external_ids: list[str] | None = None,
) -> dict:  # fmt: skip
    """The JSON body; exactly one targeting method, English content required.

    The page to open goes in `data.targetUrl`: GoNative/Median apps load it in
    their web view when the push is tapped. OneSignal's own `url` and `app_url`
    would open the phone's browser, outside the app, so they are never set."""
    body: dict = {"app_id": current_app.config.get("ONESIGNAL_APP_ID") or "<ONESIGNAL_APP_ID>"}
    if subscription_ids is not None:
        body["include_subscription_ids"] = subscription_ids
    else:
        body["target_channel"] = "push"
        body["include_aliases"] = {"external_id": external_ids or []}
    body["headings"] = {"en": title}
    body["contents"] = {"en": message}
    if target_url:
        data = {**(data or {}), "targetUrl": target_url}
    if data:
        body["data"] = data
    body["idempotency_key"] = str(uuid.uuid4())
    return body


def shown_request(body: dict) -> dict:
    """The request as it is (or would be) sent, with the key masked."""
    return {
        "method": "POST",
        "url": current_app.config["ONESIGNAL_API_URL"].rstrip("/") + "/notifications",
        "headers": {"Authorization": MASKED_KEY, "Content-Type": "application/json"},
        "body": body,
    }


def send(body: dict, deadline: float | None = None) -> SendResult:
    """Send one notification request (retrying 429/5xx) and explain the answer.

    `deadline`: seconds the whole send may take, waits and retries included
    (ONESIGNAL_DEADLINE when None). A wait that does not fit is never slept,
    in a web request or in the job runner: it is handed back as `retry_after`
    and the job runner sends again when OneSignal said to."""
    shown = shown_request(body)
    if not configured():
        return SendResult(
            outcome="not_configured",
            summary="Not sent: OneSignal is not configured on this site. Set ONESIGNAL_APP_ID "
            "and ONESIGNAL_API_KEY (an App API key from your OneSignal dashboard, Settings → "
            "Keys & IDs) and restart. This is the request that would be sent.",
            request_shown=shown,
        )
    config = current_app.config
    headers = {
        "Authorization": f"Key {config['ONESIGNAL_API_KEY']}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    timeout = config["ONESIGNAL_TIMEOUT"]
    retries = max(0, int(config["ONESIGNAL_MAX_RETRIES"]))
    if deadline is None:
        deadline = float(config["ONESIGNAL_DEADLINE"])
    started = time.perf_counter()
    attempts = 0
    retry_after = None
    while True:
        attempts += 1
        wait = min(timeout, _left(started, deadline))
        try:
            response = _session().post(shown["url"], json=body, headers=headers, timeout=wait)
        except requests.Timeout:
            result = SendResult("timeout", f"Not sent: OneSignal did not answer within {wait:g} s.")
            break
        except requests.RequestException as error:
            result = SendResult(
                "unreachable",
                f"Not sent: OneSignal could not be reached ({type(error).__name__}). "
                "Check the network and ONESIGNAL_API_URL.",
            )
            break
        retryable = response.status_code == 429 or response.status_code >= 500
        if retryable and attempts <= retries:
            delay = _retry_delay(response, attempts)
            # the wait plus a short attempt must fit in what is left
            if delay + 1.0 < _left(started, deadline):
                time.sleep(delay)
                continue
            retry_after = delay
        result = interpret(response)
        break
    result.retry_after = retry_after
    result.attempts = attempts
    result.request_shown = shown
    result.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return result


def _left(started: float, deadline: float) -> float:
    return max(0.1, deadline - (time.perf_counter() - started))


def _retry_delay(response: requests.Response, attempt: int) -> float:
    """OneSignal's Retry-After in full, in seconds or as an HTTP date; without
    one, a short growing backoff. Only a wait past a day is cut to a day."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = (when - dt.datetime.now(dt.UTC)).total_seconds()
        except (TypeError, ValueError, IndexError, OverflowError):
            seconds = 0.5 * 2 ** (attempt - 1)
    if not math.isfinite(seconds):
        seconds = MAX_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def wait_words(seconds: float) -> str:
    """A wait as a person says it: "7 s", "2 min", "1 min 30 s", "1 h 5 min"."""
    seconds = max(0, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h" + (f" {math.ceil(rest / 60)} min" if rest else "")


@dataclass
class Errors:
    """OneSignal's `errors`, in any shape its API clients model: a list of
    strings, a list of {code, title} objects, or an object naming the
    recipients it could not reach (`invalid_aliases` as {label: [values]} or
    a list, `invalid_player_ids`, `invalid_external_user_ids`)."""

    reasons: list[str] = field(default_factory=list)
    # alias (label, value) -> how many of that user's subscriptions are opted out
    opted_out: dict[tuple[str, str], int] = field(default_factory=dict)
    subscriptions: list[str] = field(default_factory=list)  # not subscribed
    external_ids: list[str] = field(default_factory=list)  # legacy: no subscribed device

    @property
    def recipients(self) -> list[str]:
        return [v for _, v in self.opted_out] + self.subscriptions + self.external_ids

    def __bool__(self) -> bool:
        return bool(self.reasons or self.recipients)


def _text(value) -> str | None:
    """A reason in words: a string, or an error object's title (and code)."""
    if isinstance(value, str):
        return value.strip()[:500] or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        title = next((_text(value[k]) for k in ("title", "message", "detail") if k in value), None)
        code = _text(value.get("code"))
        if title and code:
            return f"{title} ({code})"
        if title or code:
            return title or code
        return _text(next(iter(value.values()))) if value else None
    if isinstance(value, list):
        parts = [t for t in map(_text, value[: SHOWN * 10]) if t]
        return _listed(parts) or None
    return None


SHOWN = 10  # ids or reasons named in a summary; the rest are counted


def _strings(values) -> list[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return []
    return [str(v)[:200] for v in values if isinstance(v, str | int) and not isinstance(v, bool)]


def _listed(values: list[str]) -> str:
    more = len(values) - SHOWN
    return ", ".join(values[:SHOWN]) + (f" and {more} more" if more > 0 else "")


def read_errors(errors) -> Errors:
    found = Errors()
    if errors is None or errors == "" or errors == [] or errors == {}:
        return found
    if not isinstance(errors, dict):
        for item in errors if isinstance(errors, list) else [errors]:
            text = _text(item)
            if text:
                found.reasons.append(text)
        found.reasons = found.reasons[:SHOWN]
        return found
    for key, value in errors.items():
        if key == "invalid_aliases":
            labelled = value if isinstance(value, dict) else {"external_id": value}
            for label, values in labelled.items():
                for one in _strings(values):
                    pair = (str(label), one)
                    found.opted_out[pair] = found.opted_out.get(pair, 0) + 1
        elif key in ("invalid_player_ids", "invalid_subscription_ids"):
            found.subscriptions = list(dict.fromkeys(found.subscriptions + _strings(value)))
        elif key == "invalid_external_user_ids":
            found.external_ids = list(dict.fromkeys(found.external_ids + _strings(value)))
        else:
            text = _text(value)
            found.reasons.append(f"{str(key).replace('_', ' ')}: {text}" if text else str(key))
    found.reasons = found.reasons[:SHOWN]
    return found


def _who(label: str, value: str) -> str:
    return value if label == "external_id" else f"{label} {value}"


def _unreached(found: Errors, sent: bool) -> list[str]:
    """Who OneSignal could not reach, and why, one sentence each."""
    sentences = []
    for (label, value), count in found.opted_out.items():
        subs = "subscription" if count == 1 else "subscriptions"
        if sent:
            verb = "is" if count == 1 else "are"
            sentences.append(f"{count} of {_who(label, value)}'s subscriptions {verb} unsubscribed")
        else:
            sentences.append(
                f"{_who(label, value)} has no subscription that can get push "
                f"({count} {subs}, all unsubscribed)"
            )
    if found.subscriptions:
        n = len(found.subscriptions)
        ids = _listed(found.subscriptions)
        sentences.append(
            f"{n} subscription{'s' if n != 1 else ''} named {'is' if n == 1 else 'are'} not "
            f"subscribed: {ids}"
        )
    if found.external_ids:
        sentences.append("no subscribed device has external id " + _listed(found.external_ids))
    return sentences[:SHOWN] + ([f"and {len(sentences) - SHOWN} more"] if len(sentences) > SHOWN
                                else [])  # fmt: skip


def interpret(response: requests.Response) -> SendResult:
    status = response.status_code
    text = response.text[:4000]
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    base = {"http_status": status, "response_text": text}
    if data is None or not isinstance(data, dict):
        if status == 429:
            return SendResult("rate_limited", _RATE_LIMITED, **base)
        if status >= 500:
            return SendResult("unavailable", _UNAVAILABLE.format(status=status), **base)
        return SendResult(
            "bad_response",
            f"OneSignal answered HTTP {status} with something that is not JSON.",
            **base,
        )
    errors = data.get("errors")
    found = read_errors(errors)
    reasons = "; ".join(found.reasons)
    if status == 200:
        notification_id = data.get("id") if isinstance(data.get("id"), str) else None
        notification_id = (notification_id or "").strip()[:64] or None
        if notification_id and not found:
            return SendResult("sent", f"Sent. Notification id {notification_id}.",
                              notification_id=notification_id, errors=errors, **base)  # fmt: skip
        unreached = _unreached(found, sent=bool(notification_id))
        if notification_id:
            summary = "Sent; " + "; ".join(unreached + found.reasons) + "."
            return SendResult(
                "partial", summary, notification_id=notification_id,
                invalid=found.recipients, errors=errors, hints=_hints_for(found, reasons),
                **base,
            )  # fmt: skip
        if unreached:
            summary = "Nothing was sent: " + "; ".join(unreached) + "."
            if reasons:
                summary += f" OneSignal says: {reasons}"
        else:
            summary = "Nothing was sent. " + (
                f"OneSignal says: {reasons}" if reasons else "OneSignal gave no reason."
            )
        return SendResult("not_sent", summary, invalid=found.recipients, errors=errors,
                          hints=_hints_for(found, reasons), **base)  # fmt: skip
    if status in (401, 403):
        return SendResult("auth", _AUTH, errors=errors, **base)
    if status == 429:
        return SendResult("rate_limited", _RATE_LIMITED, errors=errors, **base)
    if status >= 500:
        return SendResult("unavailable", _UNAVAILABLE.format(status=status), errors=errors, **base)
    words = "; ".join(_unreached(found, sent=False) + found.reasons) or "no reason given"
    return SendResult("rejected", f"OneSignal refused the request (HTTP {status}): {words}",
                      errors=errors, hints=_hints_for(found, words), **base)  # fmt: skip


_AUTH = (
    "OneSignal refused the API key (401/403). Use an App API key, not an Organization key, "
    "and check that it was not rotated since it was set in ONESIGNAL_API_KEY."
)
_RATE_LIMITED = "Not sent: OneSignal's rate limit was reached (HTTP 429). Try again in a moment."
_UNAVAILABLE = "Not sent: OneSignal is temporarily unavailable (HTTP {status}). Try again later."


def _hints_for(found: Errors, reasons: str) -> list[str]:
    lowered = reasons.lower()
    hints = []
    if found.opted_out:
        hints.append(
            "Unsubscribed: notifications turned off for the app on that device, optOut "
            "called, or the app uninstalled."
        )
    if found.subscriptions:
        hints.append(
            "A subscription (player) id that is not subscribed usually belongs to a device "
            "that turned notifications off, or uninstalled or reinstalled the app."
        )
    if found.external_ids:
        hints.append(
            "The external id is not set on any subscribed device: set it from the OneSignal "
            "page inside the app."
        )
    if "not subscribed" in lowered:
        hints += [
            "The device has not opted in, or the id is a OneSignal user id (oneSignalId) instead "
            "of a subscription (player) id.",
        ]
    if "include" in lowered or "players" in lowered or "recipients" in lowered:
        hints += [
            "No recipient matched: the external id may not be set on any device yet (set it from "
            "the OneSignal page), or a reserved value was used.",
        ]
    return hints


# What OneSignal says: three read-only calls through the same session, key and
# timeouts. Each answer is explained; none is retried (a page is waiting).

LOOKUP_TIMEOUT = 5.0


@dataclass
class Lookup:
    """One GET to OneSignal, explained. `outcome`: ok, not_found, auth,
    rate_limited, unavailable, timeout, unreachable, bad_response, not_configured,
    refused (an id that cannot be a path segment: nothing asked)."""

    outcome: str
    summary: str
    data: dict | None = None
    http_status: int | None = None
    retry_after: float | None = None
    request_shown: dict | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def _app_id() -> str:
    return current_app.config.get("ONESIGNAL_APP_ID") or "<ONESIGNAL_APP_ID>"


def _get(path: str, params: dict | None, not_found: str, timeout: float | None = None) -> Lookup:
    base = current_app.config["ONESIGNAL_API_URL"].rstrip("/")
    url = base + path
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in (params or {}).items())
    # shown as a person reads it: <ONESIGNAL_APP_ID>, not %3CONESIGNAL_APP_ID%3E
    shown = {"method": "GET", "url": unquote(url) + (f"?{unquote(query)}" if query else ""),
             "headers": {"Authorization": MASKED_KEY}}  # fmt: skip
    if not configured():
        return Lookup(
            "not_configured",
            "OneSignal is not configured on this site (ONESIGNAL_APP_ID and ONESIGNAL_API_KEY), "
            f"so nothing was asked. It would ask: GET {shown['url']}",
            request_shown=shown,
        )
    headers = {"Authorization": f"Key {current_app.config['ONESIGNAL_API_KEY']}",
               "Accept": "application/json"}  # fmt: skip
    timeout = min(float(current_app.config["ONESIGNAL_TIMEOUT"]), LOOKUP_TIMEOUT, timeout or 1e9)
    try:
        response = _session().get(url, params=params, headers=headers, timeout=timeout)
    except requests.Timeout:
        return Lookup("timeout", f"OneSignal did not answer within {timeout:g} s.",
                      request_shown=shown)  # fmt: skip
    except requests.RequestException as error:
        return Lookup(
            "unreachable",
            f"OneSignal could not be reached ({type(error).__name__}). "
            "Check the network and ONESIGNAL_API_URL.",
            request_shown=shown,
        )
    status = response.status_code
    try:
        data = response.json()
    except (ValueError, RecursionError):
        data = None
    base_fields = {"http_status": status, "request_shown": shown}
    if status == 200 and isinstance(data, dict):
        return Lookup("ok", "", data=data, **base_fields)
    if status == 404:
        return Lookup("not_found", not_found, data=data if isinstance(data, dict) else None,
                      **base_fields)  # fmt: skip
    if status in (401, 403):
        return Lookup("auth", _AUTH, **base_fields)
    if status == 429:
        wait = _retry_delay(response, 1)
        return Lookup(
            "rate_limited",
            f"OneSignal's rate limit was reached (HTTP 429): ask again in {wait_words(wait)}.",
            retry_after=wait, **base_fields,
        )  # fmt: skip
    if status >= 500:
        return Lookup("unavailable", _UNAVAILABLE.format(status=status).replace("Not sent: ", ""),
                      **base_fields)  # fmt: skip
    found = read_errors(data.get("errors") if isinstance(data, dict) else None)
    words = "; ".join(_unreached(found, sent=False) + found.reasons)
    return Lookup("bad_response", f"OneSignal answered HTTP {status}" + (f": {words}" if words
                  else "."), **base_fields)  # fmt: skip


class NotASegment(ValueError):
    """An id that cannot be one segment of a OneSignal URL."""


def segment(value: str | None) -> str:
    """`value` as exactly one path segment: every character but letters,
    digits and `_.-~` percent-encoded, "/" included. "." and ".." are refused:
    the HTTP client (and any server) would read them as "this folder" and "the
    folder above", so `..` as an external id would ask another URL of the API
    with the App API key."""
    if not isinstance(value, str) or value in ("", ".", ".."):
        raise NotASegment(value)
    return quote(value, safe="")


def _refused(what: str, value) -> Lookup:
    return Lookup("refused", f"Not asked: “{value}” cannot be a OneSignal {what} (an id is "
                  "never empty, “.” or “..”).")  # fmt: skip


def view_message(notification_id: str, timeout: float | None = None) -> Lookup:
    """GET /notifications/{id}?app_id=…: the delivery counts of one push."""
    try:
        path = f"/notifications/{segment(notification_id)}"
    except NotASegment:
        return _refused("message id", notification_id)
    return _get(
        path,
        {"app_id": _app_id()},
        f"OneSignal has no message {notification_id} for this app (older than 30 days, "
        "or sent with another app id).",
        timeout,
    )


def view_user(external_id: str) -> Lookup:
    """GET /apps/{app_id}/users/by/external_id/{external_id}: the user and the
    subscriptions OneSignal links to that external id."""
    try:
        path = f"/apps/{segment(_app_id())}/users/by/external_id/{segment(external_id)}"
    except NotASegment:
        return _refused("external id", external_id)
    return _get(
        path,
        None,
        f"OneSignal has no user with external id {external_id}: the app has not set it yet "
        "(or set another value). Set it from the OneSignal page inside the app.",
    )


def identity_of(subscription_id: str) -> Lookup:
    """GET /apps/{app_id}/subscriptions/{id}/user/identity: which external id
    OneSignal ties this device (subscription) to."""
    try:
        path = f"/apps/{segment(_app_id())}/subscriptions/{segment(subscription_id)}/user/identity"
    except NotASegment:
        return _refused("subscription id", subscription_id)
    return _get(
        path,
        None,
        f"OneSignal has no subscription {subscription_id} for this app: the device has not "
        "registered with OneSignal, or belongs to another app.",
    )
