"""Forwarding a captured request to the endpoint owner's own backend.

An endpoint's owner may give a forward URL: each request captured on the
endpoint is then also sent there (same method, path suffix, query, body and
headers, less this site's own cookies, `Host` and hop-by-hop headers), and
the capture keeps what came back: status, headers, body (up to
REGISTER_MAX_BYTES) and time, or why nothing did. The owner chooses what the
app gets: this site's answer, or the backend's answer as it came.

This is a request from the site's own network on a stranger's say-so, so:
- only http and https, no user or password in the URL, no redirect followed;
- the host name is resolved once, the address is checked (no loopback,
  private, link-local, shared, reserved or multicast address unless the
  operator sets FORWARD_ALLOW_PRIVATE), and the connection goes to that
  checked address (with the name kept for `Host`, SNI and the certificate),
  so a second DNS answer cannot change where it goes;
- FORWARD_TIMEOUT (at most 10 s) bounds the whole exchange, and at most
  FORWARDS_AT_ONCE wait at once in a process: beyond that the request is
  answered without forwarding and the capture says so.
"""

from __future__ import annotations

import base64
import ipaddress
import socket
import threading
import time
from urllib.parse import urlsplit

import certifi
import urllib3
from flask import Response, current_app
from werkzeug.sansio.http import parse_cookie

from ..models import utcnow
from .masking import secret_cookie_names
from .replies import SANDBOX

FORWARDS_AT_ONCE = 2
MAX_TIMEOUT = 10.0
KEPT = 10  # exchanges kept on a capture: the forward and its latest replays
HOP_BY_HOP = {
    "host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
    "trailer", "upgrade", "content-length", "proxy-authorization", "proxy-authenticate",
}  # fmt: skip
NOT_PASSED_BACK = HOP_BY_HOP | {"set-cookie", "content-encoding"}
_slots = threading.BoundedSemaphore(FORWARDS_AT_ONCE)


class ForwardError(Exception):
    """Why a request was not sent, in words for the capture page."""


def problem_with(url: str, allow_private: bool) -> str | None:
    """What is wrong with `url` as a forward URL (None: nothing that can be
    told without resolving its host)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "That is not a URL."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "A forward URL starts with http:// or https:// and names a host."
    if parts.username is not None or parts.password is not None:
        return "Leave the user and password out of the URL: the app's own headers go along."
    if not allow_private:
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return None  # a name: its addresses are checked when sending
        if not _public(address):
            return _private_message(parts.hostname)
    return None


def _private_message(host: str) -> str:
    return (
        f"{host} is a loopback, private or otherwise non-public address: this site "
        "forwards only to public ones (FORWARD_ALLOW_PRIVATE lets the operator allow them)."
    )


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _checked_address(host: str, port: int, allow_private: bool) -> str:
    """One address of `host`, resolved once and checked."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise ForwardError(f"{host} could not be resolved ({type(error).__name__}).") from None
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if allow_private or _public(address):
            return str(address)
    raise ForwardError(_private_message(host))


def without_site_cookies(headers: list) -> list:
    """`headers` less the Cookie header's pairs of this site's own cookies
    (session, remember-me, known device): the backend gets the app's others."""
    own = secret_cookie_names(current_app)
    kept = []
    for name, value in headers:
        if name.lower() == "cookie":
            pairs = [p for p in value.split(";") if p.strip()]
            pairs = [p for p in pairs if not set(parse_cookie(p.strip())) & own]
            if not pairs:
                continue
            value = ";".join(pairs).strip()
        kept.append((name, value))
    return kept


def send(url: str, method: str, suffix: str, query: str, headers: list, body: bytes | None,
         replay: bool = False) -> dict:  # fmt: skip
    """Send one request to the backend at `url` (+ `suffix`, `query`); the
    exchange as the capture keeps it. Never raises for what the backend or
    the network does."""
    config = current_app.config
    timeout = min(float(config["FORWARD_TIMEOUT"]), MAX_TIMEOUT)
    limit = config["REGISTER_MAX_BYTES"]
    allow_private = config["FORWARD_ALLOW_PRIVATE"]
    exchange = {"at": utcnow().isoformat(), "url": url, "replay": replay, "status": None,
                "headers": [], "body_b64": None, "body_size": 0, "truncated": False,
                "ms": 0, "error": None}  # fmt: skip
    started = time.monotonic()
    if not _slots.acquire(blocking=False):
        exchange["error"] = (f"Not forwarded: {FORWARDS_AT_ONCE} forwards were already "
                             "waiting for their backends in this worker.")  # fmt: skip
        return exchange
    try:
        _exchange(exchange, url, method, suffix, query, headers, body, timeout, limit,
                  allow_private, started)  # fmt: skip
    except ForwardError as error:
        exchange["error"] = str(error)
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        exchange["error"] = _network_error(error, timeout)
    finally:
        _slots.release()
        exchange["ms"] = round((time.monotonic() - started) * 1000, 1)
    return exchange


def _exchange(exchange, url, method, suffix, query, headers, body, timeout, limit,
              allow_private, started) -> None:  # fmt: skip
    problem = problem_with(url, allow_private)
    if problem:
        raise ForwardError(problem)
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = _checked_address(parts.hostname, port, allow_private)
    target = (parts.path.rstrip("/") + suffix) or "/"
    joined = "&".join(q for q in (parts.query, query) if q)
    if joined:
        target += "?" + joined
    sent = urllib3.HTTPHeaderDict()
    for name, value in without_site_cookies(headers):
        if name.lower() not in HOP_BY_HOP:
            sent.add(name, value)
    sent["Host"] = parts.netloc
    tls = (
        {"server_hostname": parts.hostname, "assert_hostname": parts.hostname,
         "cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()}
        if https
        else {}
    )  # fmt: skip
    pool_class = urllib3.HTTPSConnectionPool if https else urllib3.HTTPConnectionPool
    pool = pool_class(address, port, timeout=urllib3.Timeout(connect=timeout, read=timeout),
                      retries=False, maxsize=1, **tls)  # fmt: skip
    try:
        response = pool.urlopen(method, target, body=body, headers=sent, redirect=False,
                                 preload_content=False, assert_same_host=False)  # fmt: skip
        data = bytearray()
        while len(data) <= limit:
            if time.monotonic() - started > timeout:
                raise ForwardError(f"The backend's answer took longer than {timeout:g} s.")
            chunk = response.read(64 * 1024)
            if not chunk:
                break
            data += chunk
        response.release_conn()
    finally:
        pool.close()
    exchange.update(
        status=response.status,
        headers=[[k, v] for k, v in response.headers.items()],
        body_b64=base64.b64encode(bytes(data[:limit])).decode("ascii"),
        body_size=len(data[:limit]),
        truncated=len(data) > limit,
    )


def _network_error(error: Exception, timeout: float) -> str:
    text = str(error).lower()
    # (urllib3's NewConnectionError is a kind of ConnectTimeoutError: asked first)
    if isinstance(error, urllib3.exceptions.NewConnectionError) or "refused" in text:
        return "The backend refused the connection (is it running?)."
    if isinstance(error, urllib3.exceptions.TimeoutError) or "timed out" in text:
        return f"The backend did not answer within {timeout:g} s."
    if isinstance(error, urllib3.exceptions.SSLError):
        return "The backend's TLS certificate was not accepted."
    return f"The backend could not be reached ({type(error).__name__})."


def backend_answer(exchange: dict) -> Response:
    """The backend's answer as it came, for the app; sent like a custom reply
    (sandboxed, never a page of this site), and with no cookie for this site."""
    body = base64.b64decode(exchange["body_b64"] or "")
    response = Response(body, exchange["status"])
    for name, value in exchange["headers"]:
        if name.lower() not in NOT_PASSED_BACK:
            response.headers.add(name, value)
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["Content-Disposition"] = 'attachment; filename="reply"'
    return response


def kept(exchanges: list | None, new: dict) -> list:
    """The capture's exchanges with `new` added: the first (the forward
    itself) and the latest replays."""
    exchanges = [*(exchanges or []), new]
    return exchanges if len(exchanges) <= KEPT else [exchanges[0], *exchanges[-(KEPT - 1) :]]
