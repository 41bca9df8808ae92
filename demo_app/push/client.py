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

import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

import requests
from flask import current_app

CHUNK = 2000  # subscription ids per request (the docs allow more; the SDKs say 2,000)
MAX_RETRY_AFTER = 30.0
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

    `deadline`: seconds the whole send may take, waits and retries included;
    None (the job runner) means only the retry count bounds it."""
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
    started = time.perf_counter()
    attempts = 0
    retry_after = None
    while True:
        attempts += 1
        wait = timeout if deadline is None else min(timeout, _left(started, deadline))
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
            if deadline is None or delay + 1.0 < _left(started, deadline):
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
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return min(0.5 * 2 ** (attempt - 1), MAX_RETRY_AFTER)


def _errors(data) -> list | dict | None:
    return data.get("errors") if isinstance(data, dict) else None


def interpret(response: requests.Response) -> SendResult:
    status = response.status_code
    text = response.text[:4000]
    try:
        data = response.json()
    except ValueError:
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
    errors = _errors(data)
    if status == 200:
        notification_id = data.get("id") or None
        invalid = _invalid_recipients(errors)
        if notification_id and not invalid and not (isinstance(errors, list) and errors):
            return SendResult("sent", f"Sent. Notification id {notification_id}.",
                              notification_id=notification_id, errors=errors, **base)  # fmt: skip
        if notification_id:
            return SendResult(
                "partial",
                f"Sent (notification id {notification_id}), but some recipients were skipped: "
                + ", ".join(invalid),
                notification_id=notification_id, invalid=invalid, errors=errors,
                hints=_HINT_INVALID, **base,
            )  # fmt: skip
        reasons = (
            "; ".join(errors) if isinstance(errors, list) else str(errors or "no reason given")
        )
        return SendResult(
            "not_sent", f"Nothing was sent. OneSignal says: {reasons}",
            invalid=invalid, errors=errors, hints=_hints_for(reasons), **base,
        )  # fmt: skip
    if status in (401, 403):
        return SendResult("auth", _AUTH, errors=errors, **base)
    if status == 429:
        return SendResult("rate_limited", _RATE_LIMITED, errors=errors, **base)
    if status >= 500:
        return SendResult("unavailable", _UNAVAILABLE.format(status=status), errors=errors, **base)
    reasons = "; ".join(map(str, errors)) if isinstance(errors, list) else str(errors or text)
    return SendResult("rejected", f"OneSignal refused the request (HTTP {status}): {reasons}",
                      errors=errors, hints=_hints_for(reasons), **base)  # fmt: skip


def _invalid_recipients(errors) -> list[str]:
    if not isinstance(errors, dict):
        return []
    found = []
    aliases = errors.get("invalid_aliases")
    if isinstance(aliases, dict):
        for values in aliases.values():
            found += [str(v) for v in values or []]
    for key in ("invalid_player_ids", "invalid_external_user_ids", "invalid_subscription_ids"):
        found += [str(v) for v in errors.get(key) or []]
    return found


_AUTH = (
    "OneSignal refused the API key (401/403). Use an App API key, not an Organization key, "
    "and check that it was not rotated since it was set in ONESIGNAL_API_KEY."
)
_RATE_LIMITED = "Not sent: OneSignal's rate limit was reached (HTTP 429). Try again in a moment."
_UNAVAILABLE = "Not sent: OneSignal is temporarily unavailable (HTTP {status}). Try again later."
_HINT_INVALID = [
    "A skipped subscription (player) id usually belongs to a device that unsubscribed or "
    "reinstalled the app.",
    "A skipped external id was never set on any device: set it from the OneSignal page in the app.",
]


def _hints_for(reasons: str) -> list[str]:
    lowered = reasons.lower()
    hints = []
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
    rate_limited, unavailable, timeout, unreachable, bad_response, not_configured."""

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
    except ValueError:
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
            f"OneSignal's rate limit was reached (HTTP 429): ask again in {wait:g} s.",
            retry_after=wait, **base_fields,
        )  # fmt: skip
    if status >= 500:
        return Lookup("unavailable", _UNAVAILABLE.format(status=status).replace("Not sent: ", ""),
                      **base_fields)  # fmt: skip
    reasons = _errors(data) if isinstance(data, dict) else None
    return Lookup(
        "bad_response",
        f"OneSignal answered HTTP {status}"
        + (f": {'; '.join(map(str, reasons)) if isinstance(reasons, list) else reasons}"
           if reasons else "."),
        **base_fields,
    )  # fmt: skip


def view_message(notification_id: str, timeout: float | None = None) -> Lookup:
    """GET /notifications/{id}?app_id=…: the delivery counts of one push."""
    return _get(
        f"/notifications/{quote(notification_id, safe='')}",
        {"app_id": _app_id()},
        f"OneSignal has no message {notification_id} for this app (older than 30 days, "
        "or sent with another app id).",
        timeout,
    )


def view_user(external_id: str) -> Lookup:
    """GET /apps/{app_id}/users/by/external_id/{external_id}: the user and the
    subscriptions OneSignal links to that external id."""
    return _get(
        f"/apps/{quote(_app_id(), safe='')}/users/by/external_id/{quote(external_id, safe='')}",
        None,
        f"OneSignal has no user with external id {external_id}: the app has not set it yet "
        "(or set another value). Set it from the OneSignal page inside the app.",
    )


def identity_of(subscription_id: str) -> Lookup:
    """GET /apps/{app_id}/subscriptions/{id}/user/identity: which external id
    OneSignal ties this device (subscription) to."""
    return _get(
        f"/apps/{quote(_app_id(), safe='')}/subscriptions/{quote(subscription_id, safe='')}"
        "/user/identity",
        None,
        f"OneSignal has no subscription {subscription_id} for this app: the device has not "
        "registered with OneSignal, or belongs to another app.",
    )
