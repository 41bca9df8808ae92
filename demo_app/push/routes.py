from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import throttle
from ..accounts import find_by_email
from ..devices import targets_of
from ..extensions import db
from ..ids import id_arg
from ..links import site_url
from ..models import Job, Message, utcnow
from . import bp, client
from .forms import MessageForm, SendForm
from .service import NotYourDevice, history, send_to

WINDOW = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
MISSES_PER_HOUR = 20


def _target_choices(targets) -> list[tuple[str, str]]:
    choices = [
        ("devices", f"All my devices ({len(targets)})"),
        (
            "external_id",
            f"My external id ({current_user.external_id})",
        ),
    ]
    for d in targets:
        label = " ".join(filter(None, [d.model, d.platform])) or "Device"
        choices.append((f"device:{d.id}", f"Only {label} …{d.subscription_id[-6:]}"))
    return choices


@bp.route("/send-to-me", methods=["GET", "POST"])
@login_required
def send_to_me():
    form = SendForm()
    targets = targets_of(current_user.id)
    form.target.choices = _target_choices(targets)
    results = None
    if form.validate_on_submit():
        key = f"send:{current_user.id}"
        wait = _throttled(key, "SEND_LIMIT_PER_MINUTE")
        if wait:
            limit = current_app.config["SEND_LIMIT_PER_MINUTE"]
            flash(
                f"You have sent {limit} pushes in the last minute. Wait {wait} s and try again.",
                "error",
            )
            return render_template(
                "push/send.html", form=form, results=None, configured=client.configured()
            ), 429
        throttle.record(key)
        try:
            results = send_to(
                current_user, form.target.data, title=form.title.data, message=form.message.data,
                url=form.url.data or None, data={"kind": "send-to-me"}, targets=targets,
                deadline=current_app.config["ONESIGNAL_DEADLINE"],
            )  # fmt: skip
        except NotYourDevice:
            abort(404, "You have no such device.")
    elif request.method == "POST" and form.target.errors:
        # An edited form naming someone else's device ends here.
        abort(404, "You have no such device.")
    return render_template(
        "push/send.html", form=form, results=results, configured=client.configured()
    )


@bp.get("/notifications")
@login_required
def history_page():
    before = id_arg("before")
    rows, older = history(current_user.id, before)
    return render_template("push/history.html", rows=rows, older=older, before=before)


# Messages: a push triggered by another user's action.


def _unread_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Message)
        .where(Message.recipient_id == current_user.id, Message.read_at.is_(None))
    )


@bp.route("/messages", methods=["GET", "POST"])
@login_required
def inbox():
    form = MessageForm()
    if form.validate_on_submit():
        wait = _throttled(f"message:{current_user.id}", "MESSAGE_LIMIT_PER_MINUTE")
        if wait:
            flash(f"You have sent many messages in the last minute. Wait {wait} s and try again.",
                  "error")  # fmt: skip
            return _inbox_page(form), 429
        misses = f"message-miss:{current_user.id}"
        if throttle.over_limit([misses], MISSES_PER_HOUR, HOUR):
            # Saying "no such user" is needed, but must not list the accounts.
            abort(429, "Too many messages to unknown emails in the last hour. Try again later.")
        recipient = find_by_email(form.recipient.data)
        if recipient is None:
            throttle.record(misses)
            form.recipient.errors.append("No user has that email.")
        elif recipient.id == current_user.id:
            form.recipient.errors.append(
                "Send it to someone else: a push to yourself is “Send to me”."
            )
        else:
            throttle.record(f"message:{current_user.id}")
            _send_message(recipient, form.body.data)
            return redirect(url_for("push.inbox"))
    return _inbox_page(form)


def _throttled(key: str, setting: str) -> int:
    """Seconds to wait when `key` has used up its per-minute `setting`, else 0."""
    limit = current_app.config[setting]
    if limit > 0 and throttle.over_limit([key], limit, WINDOW):
        return throttle.retry_after(key, WINDOW)
    return 0


def _inbox_page(form):
    received = db.session.scalars(
        sa.select(Message)
        .options(so.joinedload(Message.sender))
        .where(Message.recipient_id == current_user.id)
        .order_by(Message.id.desc())
        .limit(50)
    ).all()
    sent = db.session.scalars(
        sa.select(Message)
        .options(so.joinedload(Message.recipient))
        .where(Message.sender_id == current_user.id)
        .order_by(Message.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "push/inbox.html", form=form, received=received, sent=sent, unread=_unread_count()
    )


def _send_message(recipient, body: str) -> None:
    message = Message(sender_id=current_user.id, recipient_id=recipient.id, body=body)
    db.session.add(message)
    db.session.commit()
    target = current_app.config["PUSH_TARGET"]
    results = send_to(
        recipient, target if target in ("devices", "external_id") else "devices",
        title=f"Message from {current_user.email}", message=body[:200],
        url=site_url("push.message", message_id=message.id),
        data={"kind": "message", "message_id": message.id}, kind="message", sender=current_user,
        deadline=current_app.config["ONESIGNAL_DEADLINE"],
    )  # fmt: skip
    # The sender learns whether the phone rang, not the recipient's device ids.
    if any(r.ok for r in results):
        flash(f"Message sent, and {recipient.email}'s phone was notified.", "success")
    elif results[0].outcome == "not_configured":
        flash("Message sent. No push: OneSignal is not configured on this site.", "info")
    else:
        flash(
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


# messages.id is a 32-bit INTEGER on PostgreSQL (see ids.py)
@bp.get("/messages/<int(max=2147483647):message_id>")
@login_required
def message(message_id: int):
    found = db.session.get(Message, message_id)
    if found is None or current_user.id not in (found.sender_id, found.recipient_id):
        abort(404, "There is no such message in your inbox.")
    if found.recipient_id == current_user.id and found.read_at is None:
        found.read_at = utcnow()
        db.session.commit()
    return render_template("push/message.html", message=found)


# Orders: a push after a delay, sent by the background worker.


@bp.route("/orders", methods=["GET", "POST"])
@login_required
def orders():
    if request.method == "POST":
        delay = current_app.config["ORDER_DELAY_SECONDS"]
        order = f"PL-{secrets.randbelow(90000) + 10000}"
        db.session.add(
            Job(kind="order_delivered", user_id=current_user.id,
                payload={"order": order, "url": site_url("push.orders")},
                run_at=utcnow() + dt.timedelta(seconds=delay))
        )  # fmt: skip
        db.session.commit()
        flash(
            f"Order {order} is on its way: a “delivered” push follows in about {delay} seconds.",
            "success",
        )
        return redirect(url_for("push.orders"))
    return render_template("push/orders.html", jobs=_my_orders(), now=utcnow())


@bp.get("/orders/rows")
@login_required
def order_rows():
    """The list of orders alone, for the page to follow them until delivered."""
    response = current_app.response_class(
        render_template("push/_orders.html", jobs=_my_orders(), now=utcnow()),
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _my_orders() -> list[Job]:
    return db.session.scalars(
        sa.select(Job).where(Job.user_id == current_user.id, Job.kind == "order_delivered")
        .order_by(Job.id.desc()).limit(20)
    ).all()  # fmt: skip


@bp.app_context_processor
def unread_messages():
    def unread():
        return _unread_count() if current_user.is_authenticated else 0

    return {"unread_messages": unread}
