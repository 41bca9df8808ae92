"""Messages between users: a push triggered by another user's action."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from .. import throttle
from ..accounts import find_by_email
from ..display import visible_text
from ..extensions import db
from ..links import site_url
from ..models import Message, User, utcnow
from .service import send_to

MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
MISSES_PER_HOUR = 20


class MessageError(ValueError):
    """Why a message was not sent; `field` is the form field to show it on,
    `status` the HTTP status of the page."""

    def __init__(self, message: str, field: str | None = None, status: int = 200):
        super().__init__(message)
        self.field = field
        self.status = status


def wait_for(key: str, setting: str) -> int:
    """Seconds to wait when `key` has used up its per-minute `setting`, else 0."""
    limit = current_app.config[setting]
    if limit > 0 and throttle.over_limit([key], limit, MINUTE):
        return throttle.retry_after(key, MINUTE)
    return 0


def send_message(sender: User, recipient_email: str, body: str) -> tuple[str, str]:
    """Store the message and push the recipient's phone: (flash text, category).

    Limited per sender (MESSAGE_LIMIT_PER_MINUTE), and so are emails that
    have no account: saying "no such user" is needed, listing accounts is not."""
    wait = wait_for(f"message:{sender.id}", "MESSAGE_LIMIT_PER_MINUTE")
    if wait:
        raise MessageError(
            f"You have sent many messages in the last minute. Wait {wait} s and try again.",
            status=429,
        )
    misses = f"message-miss:{sender.id}"
    if throttle.over_limit([misses], MISSES_PER_HOUR, HOUR):
        raise MessageError(
            "Too many messages to unknown emails in the last hour. Try again later.", status=429
        )
    recipient = find_by_email(recipient_email)
    if recipient is None:
        throttle.record(misses)
        raise MessageError("No user has that email.", field="recipient")
    if recipient.id == sender.id:
        raise MessageError(
            "Send it to someone else: a push to yourself is “Send to me”.", field="recipient"
        )
    throttle.record(f"message:{sender.id}")
    message = Message(sender_id=sender.id, recipient_id=recipient.id, body=body)
    db.session.add(message)
    db.session.commit()
    target = current_app.config["PUSH_TARGET"]
    results = send_to(
        recipient, target if target in ("devices", "external_id") else "devices",
        title=f"Message from {sender.email}", message=visible_text(body[:200]),
        page=site_url("push.message", message_id=message.id),
        data={"kind": "message", "message_id": message.id}, kind="message",
        deadline=current_app.config["ONESIGNAL_DEADLINE"],
    )  # fmt: skip
    # The sender learns whether the phone rang, not the recipient's device ids.
    if any(r.ok for r in results):
        return f"Message sent, and {recipient.email}'s phone was notified.", "success"
    if results[0].outcome == "not_configured":
        return "Message sent. No push: OneSignal is not configured on this site.", "info"
    return (
        f"Message sent to {recipient.email}'s inbox. No push arrived on their phone: "
        f"{_plain(results[0].outcome)}",
        "info",
    )


def _plain(outcome: str) -> str:
    return {
        "not_sent": "they have no subscribed device or external id set yet.",
        "auth": "the site's OneSignal key was refused.",
        "rate_limited": "OneSignal's rate limit was reached.",
    }.get(outcome, "OneSignal could not be reached or refused the request.")


def inbox(user_id: int) -> tuple[list[Message], list[Message]]:
    """(received, newest 50; sent, newest 20), with the other party loaded."""
    received = db.session.scalars(
        sa.select(Message).options(so.joinedload(Message.sender))
        .where(Message.recipient_id == user_id).order_by(Message.id.desc()).limit(50)
    ).all()  # fmt: skip
    sent = db.session.scalars(
        sa.select(Message).options(so.joinedload(Message.recipient))
        .where(Message.sender_id == user_id).order_by(Message.id.desc()).limit(20)
    ).all()  # fmt: skip
    return received, sent


def contacts(user_id: int, prefix: str = "", limit: int = 20) -> list[str]:
    """Emails of the people `user_id` has exchanged messages with (either
    way), the most recent first; only those starting with `prefix`.

    The recipient picker lists these and nobody else: it must never show a
    stranger which accounts the site has. Someone new is reached by typing
    their exact email (send_message, throttled for misses)."""
    other = sa.case((Message.sender_id == user_id, Message.recipient_id), else_=Message.sender_id)
    latest = (
        sa.select(other.label("user_id"), sa.func.max(Message.id).label("last"))
        .where(sa.or_(Message.sender_id == user_id, Message.recipient_id == user_id))
        .group_by(other)
        .subquery()
    )
    query = (
        sa.select(User.email)
        .join(latest, latest.c.user_id == User.id)
        .where(User.id != user_id)
        .order_by(latest.c.last.desc())
        .limit(limit)
    )
    prefix = prefix.strip().lower()
    if prefix:
        query = query.where(sa.func.lower(User.email).startswith(prefix, autoescape=True))
    return list(db.session.scalars(query))


def news(user_id: int, after: int | None, limit: int = 20) -> dict:
    """What the live count and inbox need: the viewer's unread count and, when
    `after` is given, the messages they received after that id (oldest first)."""
    found = {"unread": unread_count(user_id), "messages": []}
    if after is not None:
        rows = db.session.scalars(
            sa.select(Message).options(so.joinedload(Message.sender))
            .where(Message.recipient_id == user_id, Message.id > after)
            .order_by(Message.id).limit(limit)
        ).all()  # fmt: skip
        found["messages"] = [
            {
                "id": m.id,
                "sender": m.sender.email,
                "body": visible_text(m.body[:80]) + ("…" if len(m.body) > 80 else ""),
                "created_at": m.created_at.strftime("%Y-%m-%d %H:%M") + " UTC",
                "read": m.read_at is not None,
            }
            for m in rows
        ]
    return found


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Message)
        .where(Message.recipient_id == user_id, Message.read_at.is_(None))
    )


def open_message(user: User, message_id: int) -> Message | None:
    """The message if `user` sent or received it; reading it marks it read."""
    found = db.session.get(Message, message_id)
    if found is None or user.id not in (found.sender_id, found.recipient_id):
        return None
    if found.recipient_id == user.id and found.read_at is None:
        found.read_at = utcnow()
        db.session.commit()
    return found
