"""A local stand-in for OneSignal's REST API, so the real HTTP code runs over
loopback. Tests queue the answers; every request is recorded.

Create message (POST /notifications) answers as OneSignal does for the
recipients it knows: an external id in `users` whose push subscriptions are
opted out is listed once per opted-out subscription in
`errors.invalid_aliases.external_id` (with an id when at least one is opted in,
with an empty id when none is); a subscription id in `unsubscribed` is listed
in `errors.invalid_player_ids` (all of them: an empty id and "All included
players are not subscribed"). The functions at the end build every other shape
of answer OneSignal's API clients model, for tests to queue.

Besides it answers, shaped as OneSignal documents them:
- View message, GET /notifications/{id}?app_id=...: the counts of a message it
  created (successful = the recipients named, converted = `taps[id]`), with
  `stats[id]` merged over them; 404 for any other id;
- View user, GET /apps/{app_id}/users/by/external_id/{external_id}: `users`
  [external_id] (a dict with identity, properties, subscriptions), else 404;
- identity by subscription, GET /apps/{app_id}/subscriptions/{id}/user/identity:
  `identities`[subscription id], else 404.
A queued Reply (optionally for one method) answers instead, for errors.
Every request is recorded with its exact path, as sent (`paths()`).

View message's `received` is 0, as on OneSignal's free plan (it is recorded
on paid plans only); `stats[id]` can set it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

USER_PATH = ["users", "by", "external_id"]
IDENTITY_PATH = ["user", "identity"]


class Reply:
    def __init__(self, status=200, body=None, headers=None, delay=0.0, raw=None, method=None):
        self.method = method  # None: the next request of any method
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.delay = delay
        self.raw = raw


class StandIn:
    def __init__(self, latency: float = 0.0):
        self.requests: list[dict] = []
        self.served: list[float] = []
        self.replies: list[Reply] = []
        self.latency = latency
        self.lock = threading.Lock()
        self.created: dict[str, dict] = {}  # message id -> the body it was created with
        self.stats: dict[str, dict] = {}
        self.taps: dict[str, int] = {}
        self.users: dict[str, dict] = {}
        self.identities: dict[str, dict] = {}
        self.unsubscribed: set[str] = set()  # subscription ids that are not subscribed
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def setup(self):
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's
                # algorithm and the client's delayed ACK add ~40 ms per answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                self.answer("GET")

            def do_POST(self):
                self.answer("POST")

            def answer(self, method):
                started = time.perf_counter()
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                with standin.lock:
                    standin.requests.append(
                        {"method": method, "path": self.path, "headers": dict(self.headers),
                         "body": body, "at": time.monotonic()}
                    )  # fmt: skip
                    reply = standin.next_reply(method)
                if reply is None:
                    reply = standin.default(method, self.path, body)
                elif method == "POST" and isinstance(reply.body, dict) and reply.body.get("id"):
                    with standin.lock:  # a queued success creates its message too
                        standin.created.setdefault(reply.body["id"], body or {})
                time.sleep(reply.delay or standin.latency)
                data = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header(
                        "Content-Type", "application/json" if reply.raw is None else "text/html"
                    )
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                # How long the stand-in itself took, its latency included.
                standin.served.append(time.perf_counter() - started)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def next_reply(self, method: str) -> Reply | None:
        for i, reply in enumerate(self.replies):
            if reply.method in (None, method):
                return self.replies.pop(i)
        return None

    def default(self, method: str, path: str, body) -> Reply:
        parts = urlsplit(path)
        segments = [unquote(p) for p in parts.path.strip("/").split("/")]
        if method == "POST" and segments == ["notifications"]:
            return self.create(body if isinstance(body, dict) else {})
        if method != "GET":
            return Reply(404, {"errors": [f"no such endpoint in the stand-in: POST {parts.path}"]})
        if len(segments) == 2 and segments[0] == "notifications":
            return self.view_message(segments[1], parse_qs(parts.query).get("app_id", [""])[0])
        if len(segments) == 6 and segments[0] == "apps" and segments[2:5] == USER_PATH:
            user = self.users.get(segments[5])
            return Reply(200, user) if user else Reply(404, _not_found("User"))
        if len(segments) == 6 and segments[0] == "apps" and segments[2] == "subscriptions":
            found = self.identities.get(segments[3]) if segments[4:] == IDENTITY_PATH else None
            if found:
                return Reply(200, {"identity": found})
            return Reply(404, _not_found("Subscription"))
        return Reply(404, {"errors": [f"no such endpoint in the stand-in: GET {parts.path}"]})

    def create(self, body: dict) -> Reply:
        opted_out, reachable = [], 0
        for external_id in (body.get("include_aliases") or {}).get("external_id") or []:
            found = self.users.get(external_id)
            subs = [s for s in (found or {}).get("subscriptions", [])
                    if str(s.get("type", "")).endswith("Push")]  # fmt: skip
            if found is None:
                reachable += 1  # a user it does not know: sent, as before
                continue
            off = [s for s in subs if not s.get("enabled") or s.get("notification_types", 1) < 1]
            opted_out += [external_id] * len(off)
            reachable += len(subs) - len(off)
        named = body.get("include_subscription_ids") or []
        invalid = [i for i in named if i in self.unsubscribed]
        reachable += len(named) - len(invalid)
        if not reachable:
            if opted_out:
                return Reply(200, opted_out_answer(opted_out, sent=False))
            return Reply(200, not_subscribed(*invalid, sent=False))
        message_id = str(uuid.uuid4())
        with self.lock:
            self.created[message_id] = body
        answer = {"id": message_id, "external_id": None}
        if opted_out:
            answer["errors"] = {"invalid_aliases": {"external_id": opted_out}}
        elif invalid:
            answer["errors"] = {"invalid_player_ids": invalid}
        return Reply(200, answer)

    def paths(self, method: str = "GET") -> list[str]:
        """The exact paths (query included) requested with `method`, as sent."""
        return [r["path"] for r in self.requests if r["method"] == method]

    def view_message(self, message_id: str, app_id: str) -> Reply:
        created = self.created.get(message_id)
        if created is None or app_id != created.get("app_id"):
            return Reply(404, {"errors": ["Couldn't find a notification with that id"]})
        named = created.get("include_subscription_ids") or (
            (created.get("include_aliases") or {}).get("external_id") or []
        )
        taps = self.taps.get(message_id, 0)
        counts = {"successful": len(named), "failed": 0, "errored": 0, "converted": taps,
                  "received": 0, "remaining": 0}  # fmt: skip
        counts.update(self.stats.get(message_id, {}))
        platform = "android" if "android" in json.dumps(created).lower() else "ios"
        now = int(time.time())
        per_platform = {
            k: counts[k] for k in ("successful", "failed", "errored", "converted", "received")
        }
        return Reply(200, {
            "id": message_id, "app_id": app_id, "canceled": False,
            "contents": created.get("contents"), "headings": created.get("headings"),
            "data": created.get("data"), "queued_at": now - 5, "send_after": now - 5,
            "completed_at": now, "platform_delivery_stats": {platform: per_platform},
            **counts,
        })  # fmt: skip

    def queue(self, *replies: Reply) -> None:
        with self.lock:
            self.replies.extend(replies)

    def start(self) -> StandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _not_found(what: str) -> dict:
    return {"errors": [{"code": "not-found", "title": f"{what} not found"}]}


def user(external_id: str, *subscriptions: dict, onesignal_id: str | None = None) -> dict:
    """A View user answer: `subscriptions` as `subscription(...)` makes them."""
    return {
        "identity": {"external_id": external_id, "onesignal_id": onesignal_id or str(uuid.uuid4())},
        "properties": {"tags": {}, "language": "en", "first_active": 1764547200,
                       "last_active": int(time.time())},
        "subscriptions": list(subscriptions),
    }  # fmt: skip


def subscription(sub_id: str, kind: str = "iOSPush", enabled: bool = True,
                 notification_types: int = 1, model: str = "iPhone14,2") -> dict:  # fmt: skip
    return {
        "id": sub_id, "type": kind, "token": "f" * 64, "enabled": enabled,
        "notification_types": notification_types, "device_model": model,
        "device_os": "17.4", "app_version": "1.4.0", "session_count": 3, "sdk": "050100",
        "rooted": False, "test_type": None, "web_auth": None, "web_p256": None,
    }  # fmt: skip


# Create message answers, in every shape OneSignal's API clients model
# (onesignal-python-api / onesignal-node-api CreateNotificationSuccessResponse:
# `errors` is a list of strings, an object, or, as GenericError has it, a list
# of {code, title} objects). `sent`: with a notification id, or with "".


def _answer(errors, sent: bool) -> dict:
    return {"id": str(uuid.uuid4()) if sent else "", "external_id": None, "errors": errors}


def opted_out_answer(external_ids: list[str], sent: bool = True) -> dict:
    """`invalid_aliases`: each external id once per opted-out subscription."""
    return _answer({"invalid_aliases": {"external_id": list(external_ids)}}, sent)


def opted_out(external_id: str, count: int, sent: bool = True) -> dict:
    return opted_out_answer([external_id] * count, sent)


def opted_out_as_list(external_id: str, count: int, sent: bool = True) -> dict:
    """`invalid_aliases` as a plain list (the node client's InvalidIdentifierError)."""
    return _answer({"invalid_aliases": [external_id] * count}, sent)


def not_subscribed(*subscription_ids: str, sent: bool = True) -> dict:
    if sent:
        return _answer({"invalid_player_ids": list(subscription_ids)}, True)
    return _answer(["All included players are not subscribed"], False)


def invalid_external_user_ids(*external_ids: str, sent: bool = True) -> dict:
    """The legacy include_external_user_ids answer (Notification200Errors)."""
    return _answer({"invalid_external_user_ids": list(external_ids)}, sent)


def error_strings(*texts: str, sent: bool = False) -> dict:
    return _answer(list(texts), sent)


def error_objects(*pairs: tuple[str, str], sent: bool = False) -> dict:
    """GenericError's shape: a list of {code, title}."""
    return _answer([{"code": code, "title": title} for code, title in pairs], sent)


APP_ID = "11111111-2222-4333-8444-555555555555"
API_KEY = "os_v2_app_SECRETKEY0123456789"


def onesignal_settings(url: str, **more) -> dict:
    """The site's settings for talking to the stand-in at `url`."""
    return {"ONESIGNAL_API_URL": url, "ONESIGNAL_APP_ID": APP_ID, "ONESIGNAL_API_KEY": API_KEY,
            **more}  # fmt: skip
