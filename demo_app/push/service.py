"""Sending to a person, two ways, with every attempt logged.

By device: the site keeps each user's devices, so the push names the user's
linked subscription (player) ids, chunked.
By external id: the app set the user's external id on each device and
OneSignal keeps the link, so the push names the external id and OneSignal
finds the devices.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from .. import jobs
from ..devices.service import sharing, targets_of
from ..extensions import db
from ..models import PushLog, User
from ..onesignal import client
from . import opens

TARGETS = ("devices", "external_id")


class NotYourDevice(LookupError):
    pass


def link_allowed(url: str) -> bool:
    """May "send to me" open `url` on tap? A page of this site (SITE_URL), or
    of a host the operator listed in SEND_LINK_HOSTS; nothing a browser could
    read as another host (user info, backslashes, spaces, control characters)."""
    if not isinstance(url, str) or "\\" in url or not url.isprintable():
        return False
    parts = urlsplit(url)
    if "@" in parts.netloc or any(c.isspace() for c in url):
        return False
    if opens.is_own(url):
        return True
    host = (parts.hostname or "").lower()
    return parts.scheme in ("http", "https") and host in current_app.config["SEND_LINK_HOSTS"]


def shared_note(user_id: int, targets, ids: list[str]) -> str | None:
    """Words for the send result when devices it names are linked to other
    accounts too (each account is told; who the others are is not said)."""
    by_sub = {row.subscription_id: row.id for row in targets or []}
    shared = sharing([by_sub[i] for i in ids if i in by_sub], user_id)
    if not shared:
        return None
    tails = [f"…{s[-6:]}" for s, d in by_sub.items() if d in shared and s in ids]
    others = max(shared.values())
    return (
        f"{'Device' if len(tails) == 1 else 'Devices'} {', '.join(tails)} "
        f"{'is' if len(tails) == 1 else 'are'} also linked to {others} other "
        f"account{'s' if others != 1 else ''}: "
        "whoever uses that account can push to it too, with a link of this site. If that is "
        "not you, remove the device on your Devices page."
    )


def resolve_target(user: User, target: str, targets=None) -> tuple[str, list[str]]:
    """("devices" | "external_id" | "device", ids) for a target a form named.

    A single device must be one of the user's own: anything else is refused,
    whatever the form sent. `targets`, the user's devices from
    `devices.targets_of()` when the caller has loaded them already, saves a query.
    """
    if target == "external_id":
        return "external_id", [user.external_id] if user.external_id else []
    if targets is None:
        targets = targets_of(user.id)
    if target.startswith("device:"):
        try:
            device_id = int(target.split(":", 1)[1])
        except ValueError as error:
            raise NotYourDevice(target) from error
        mine = {row.id: row.subscription_id for row in targets}
        if device_id not in mine:
            raise NotYourDevice(target)
        return "device", [mine[device_id]]
    return "devices", [row.subscription_id for row in targets]


def send_to(user: User, target: str, *, title: str, message: str, page: str | None = None,
            data: dict | None = None, kind: str = "send-to-me",
            targets=None,
            deadline: float | None = None) -> list[client.SendResult]:  # fmt: skip
    """Send to `user`, logging each request in `user`'s push history: the
    request names the recipient's devices (or external id), so it is theirs
    to see, never the sender's.

    `page`: the absolute URL the push opens inside the app (data.targetUrl).
    A page of this site gets the request's open token added, so its opening
    is recorded (see opens.py); another site's page is sent as it is.
    `deadline`: the seconds a web request may spend on it (see client.send)."""
    target_kind, ids = resolve_target(user, target, targets)
    if not ids:
        what = "no external id" if target_kind == "external_id" else "no linked device"
        result = client.SendResult(
            "not_sent",
            f"Nothing was sent: {user.email} has {what} yet. Open the OneSignal page inside the "
            "app while logged in (or let the app's registration POST reach this site).",
        )
        result.page_url = page
        _log(user, kind, target_kind, ids, None, result, page=page)
        return [result]
    results = []
    if target_kind != "external_id" and targets is None:
        targets = targets_of(user.id)
    chunks = [ids[i : i + client.CHUNK] for i in range(0, len(ids), client.CHUNK)]
    for chunk in chunks:
        token = opens.new_token() if page and opens.is_own(page) else None
        body = client.build_body(
            title=title, message=message, data=data,
            target_url=opens.with_token(page, token) if token else page,
            subscription_ids=chunk if target_kind != "external_id" else None,
            external_ids=chunk if target_kind == "external_id" else None,
        )  # fmt: skip
        result = client.send(body, deadline)
        result.page_url = page
        result.target_kind, result.recipients = target_kind, list(chunk)
        note = shared_note(user.id, targets, chunk) if target_kind != "external_id" else None
        if note:
            result.hints.insert(0, note)
        _log(user, kind, target_kind, chunk, body, result, page=page, token=token)
        if result.retry_after is not None:
            _retry_later(user, kind, target_kind, chunk, body, result, page, token)
        results.append(result)
    return results


RETRY_ROUNDS = 3  # times the job runner sends again after a Retry-After


def _retry_later(user: User, kind, target_kind, ids, body, result: client.SendResult,
                 page: str | None, token: str | None, round_: int = 0) -> None:  # fmt: skip
    """OneSignal asked for a longer wait than a send can afford (Retry-After,
    honoured in full): the job runner sends the same request (same
    idempotency key) once the wait is over, never sleeping through it."""
    delay = max(1.0, result.retry_after or 0)
    jobs.enqueue(
        "push_retry",
        user.id,
        delay=delay,
        payload={"body": body, "kind": kind, "target_kind": target_kind, "ids": list(ids),
                 "page": page, "token": token, "round": round_ + 1},
    )  # fmt: skip
    db.session.commit()
    result.summary += (
        f" It will be sent again in {client.wait_words(delay)} by the background runner, "
        "as OneSignal asked."
    )


@jobs.handler("push_retry")
def retry(job) -> None:
    """The job runner's half of `_retry_later`: no deadline but the retry count."""
    payload = job.payload
    result = client.send(payload["body"])
    token = payload.get("token")
    if token:
        # The push that goes out now carries the token: its opens belong to
        # this attempt's row, not to the one OneSignal turned away.
        db.session.execute(
            sa.update(PushLog).where(PushLog.open_token == token).values(open_token=None)
        )
        db.session.commit()
    user = db.session.get(User, job.user_id)
    round_ = int(payload.get("round") or 1)
    if user is not None and result.retry_after is not None and round_ < RETRY_ROUNDS:
        # asked to wait again: a new job for then, the same token and key
        _retry_later(user, payload["kind"], payload["target_kind"], payload["ids"],
                     payload["body"], result, payload.get("page"), token, round_)  # fmt: skip
    if user is not None:
        _log(user, payload["kind"], payload["target_kind"], payload["ids"], payload["body"], result,
             page=payload.get("page"), token=token)  # fmt: skip
    job.payload = {**payload, "push": result.outcome, "summary": result.summary}


def _log(user: User, kind, target_kind, ids, body, result: client.SendResult, *,
         page: str | None = None, token: str | None = None) -> None:  # fmt: skip
    db.session.add(
        PushLog(
            user_id=user.id, kind=kind, target_kind=target_kind, target=list(ids),
            request_body=body, outcome=result.outcome, http_status=result.http_status,
            notification_id=result.notification_id, response=result.response_text,
            summary=result.summary, duration_ms=result.duration_ms,
            page_url=page, open_token=token,
        )
    )  # fmt: skip
    db.session.commit()


def history(user_id: int, before: int | None, limit: int = 30) -> tuple[list[PushLog], int | None]:
    query = sa.select(PushLog).where(PushLog.user_id == user_id)
    if before:
        query = query.where(PushLog.id < before)
    rows = db.session.scalars(query.order_by(PushLog.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)
