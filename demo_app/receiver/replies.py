"""An endpoint's custom reply: what its owner chose to answer the app's POSTs.

QA sets one to see how the app copes with a failing registration endpoint:
a 500, a 401, a slow answer. The request is still read, judged and stored
like any other; only the answer changes, and the capture keeps the reply it
got. Not for what the receiver refuses before reading (a method other than
POST, a body over the limit) nor for what it cannot store (429, log only):
those answers say something the app's developer needs to hear.

The body is the owner's own text served from this site's address, so it is
sent in a sandbox (no script runs, no access to the site's cookies or pages)
whatever its content type.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from flask import Response

from .capture import Received

SANDBOX = "sandbox; default-src 'none'"
# Delayed replies hold a worker thread each: at most this many at once in a
# process, and one per endpoint, so a slow endpoint cannot take the site's
# threads nor every other endpoint's delays. Beyond that the reply goes at
# once and the capture says the delay was skipped.
DELAYS_AT_ONCE = 2
_delays = threading.BoundedSemaphore(DELAYS_AT_ONCE)
_delaying_endpoints: set[int] = set()
_endpoints_lock = threading.Lock()


def _take_slot(endpoint_id: int) -> bool:
    with _endpoints_lock:
        if endpoint_id in _delaying_endpoints or not _delays.acquire(blocking=False):
            return False
        _delaying_endpoints.add(endpoint_id)
        return True


def _give_slot(endpoint_id: int) -> None:
    with _endpoints_lock:
        _delaying_endpoints.discard(endpoint_id)
        _delays.release()


@dataclasses.dataclass
class CustomReply:
    status: int
    content_type: str
    body: str
    delay_ms: int
    judged_status: int  # what the receiver would have answered
    endpoint_id: int = 0
    delaying: bool = False

    def send(self) -> Response:
        if self.delaying:
            try:
                time.sleep(self.delay_ms / 1000)
            finally:
                self.cancel()
        response = Response(self.body, self.status, content_type=self.content_type)
        response.headers["Content-Security-Policy"] = SANDBOX
        # a browser sent here (a form on another site) saves it rather than
        # showing the owner's text as a page of this site; apps read it as usual
        response.headers["Content-Disposition"] = 'attachment; filename="reply"'
        return response

    def cancel(self, received: Received | None = None) -> None:
        """The reply will not be sent: give its delay slot back, and let
        `received` say what the receiver answered instead."""
        if self.delaying:
            self.delaying = False
            _give_slot(self.endpoint_id)
        if received is not None:
            received.reply, received.http_status = None, self.judged_status


def choose(endpoint, received: Received) -> CustomReply | None:
    """The reply `endpoint`'s owner set for this request, noted on `received`."""
    if endpoint is None or endpoint.reply_status is None:
        return None
    if received.method != "POST" or received.status in ("rejected", "too_large"):
        return None
    reply = CustomReply(
        endpoint.reply_status,
        endpoint.reply_content_type or "text/plain",
        endpoint.reply_body or "",
        max(0, min(endpoint.reply_delay_ms or 0, 10_000)),
        received.http_status,
        endpoint.id,
    )
    noted = {"status": reply.status, "content_type": reply.content_type, "body": reply.body,
             "delay_ms": reply.delay_ms}  # fmt: skip
    if reply.delay_ms:
        reply.delaying = _take_slot(endpoint.id)
        if not reply.delaying:
            noted.update(delay_ms=0, delay_skipped=True)
    received.reply = noted
    received.http_status = reply.status
    return reply
