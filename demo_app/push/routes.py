from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import throttle
from ..accounts import refuse_guests
from ..devices.service import targets_of
from ..extensions import db
from ..ids import id_arg
from ..links import site_url
from ..models import PushLog, utcnow
from ..onesignal import client
from . import bp, messages, opens, simulated, stats
from . import orders as orders_service
from .forms import MessageForm, SendForm
from .service import NotYourDevice, history, send_to


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
    if request.method == "POST":
        refuse_guests()
    form = SendForm()
    targets = targets_of(current_user.id)
    form.target.choices = _target_choices(targets)
    results = None
    if form.validate_on_submit():
        key = f"send:{current_user.id}"
        wait = messages.wait_for(key, "SEND_LIMIT_PER_MINUTE")
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
                page=form.url.data or site_url("push.history_page"),
                data={"kind": "send-to-me"}, targets=targets,
                deadline=current_app.config["ONESIGNAL_DEADLINE"],
            )  # fmt: skip
        except NotYourDevice:
            abort(404, "You have no such device.")
        for r in results:
            on_phone = simulated.result_reaches(
                current_user.id, form.simulated.data, r.target_kind, r.recipients
            )
            r.headline = simulated.headline(r, on_phone)
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
    if before is None:
        stats.refresh_recent(rows)
    opened = opens.summary([row.id for row in rows])
    return render_template(
        "push/history.html", rows=rows, older=older, before=before, opened=opened,
        stats=stats, configured=client.configured(),
    )  # fmt: skip


@bp.post("/notifications/<int(max=9223372036854775807):push_id>/refresh")
@login_required
def refresh_stats(push_id: int):
    """Ask OneSignal now for one push's counts (the button on /notifications)."""
    push = db.session.get(PushLog, push_id)
    if push is None or push.user_id != current_user.id:
        abort(404, "There is no such push in your history.")
    if not stats.askable(push):
        flash(f"Push #{push.id} has no OneSignal message id: there is nothing to ask.", "info")
    else:
        found = stats.refresh(push)
        if found is None:
            wait = stats.wait_for(push, utcnow())
            flash(f"OneSignal was asked about push #{push.id} moments ago: "
                  f"ask again in {wait} s.", "info")  # fmt: skip
        elif found.ok:
            flash(f"Push #{push.id}: {stats.words(push.stats)}.", "success")
        else:
            flash(f"Push #{push.id}: {found.summary}", "error")
    return redirect(url_for("push.history_page", _anchor=f"push-{push.id}"))


@bp.get("/api/simulated-pushes")
@login_required
def simulated_pushes():
    """The pushes for the simulated phone of this browser (see simulated.py).
    Only a device linked to the viewer's own account: any other id gets the
    same answer as a missing one, no pushes and `linked: false` (the phone
    asks before its link is made, so that is no error)."""
    subscription_id = (request.args.get("subscription_id") or "").strip()
    if not subscription_id or len(subscription_id) > 64:
        abort(400, "subscription_id is missing or too long.")
    after = id_arg("after")
    private = {"Cache-Control": "no-store"}
    if simulated.link_of(current_user.id, subscription_id) is None:
        return jsonify(pushes=[], after=after or 0, linked=False), 200, private
    found, cursor = simulated.pushes_for(current_user.id, subscription_id, after)
    return jsonify(pushes=found, after=cursor, linked=True), 200, private


# Did it arrive? The push's page, opened in the app, says so (see opens.py).

bp.before_app_request(opens.from_url)


@bp.post("/api/push-opened")
def push_opened():
    """The page reports what the app's pushOpened listener passed it: the
    notification's additional data, whose targetUrl carries the open token.
    Anyone may call it (the token is the capability); an invalid token
    records nothing and is answered the same way, without an error."""
    data = request.get_json(silent=True)
    if isinstance(data, dict) and isinstance(data.get("additionalData"), dict):
        data = data["additionalData"]  # the whole notification rather than its data
    url = (data.get("targetUrl") or data.get("u")) if isinstance(data, dict) else None
    found = opens.record(opens.token_in(url), "listener")
    if found is None:
        return jsonify(recorded=False)
    push, opened = found
    return jsonify(recorded=True, push=push.id, greeting=opens.greeting(push, opened))


# Messages: a push triggered by another user's action (see messages.py).


@bp.route("/messages", methods=["GET", "POST"])
@login_required
def inbox():
    if request.method == "POST":
        refuse_guests()
    form = MessageForm()
    status = 200
    if form.validate_on_submit():
        try:
            text, category = messages.send_message(
                current_user, form.recipient.data, form.body.data
            )
        except messages.MessageError as error:
            if error.field:
                form[error.field].errors.append(str(error))
            else:
                flash(str(error), "error")
            status = error.status
        else:
            flash(text, category)
            return redirect(url_for("push.inbox"))
    received, sent = messages.inbox(current_user.id)
    unread = messages.unread_count(current_user.id)
    return render_template(
        "push/inbox.html", form=form, received=received, sent=sent, unread=unread,
        contacts=messages.contacts(current_user.id),
    ), status  # fmt: skip


def _private_json(**data):
    """JSON about the viewer alone: never cached, by the browser or a proxy."""
    response = jsonify(**data)
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Vary"] = "Cookie"
    return response


# Both are GETs that change nothing and answer JSON about the viewer only (a
# page of another site cannot read the answer), so they need no CSRF token.
@bp.get("/api/messages/unread")
@login_required
def messages_news():
    """The unread count for the header, and the inbox's new messages after `after`."""
    return _private_json(**messages.news(current_user.id, id_arg("after")))


@bp.get("/api/messages/recipients")
@login_required
def recipients():
    """People you have exchanged messages with whose email starts with `q`."""
    prefix = request.args.get("q", "")[:254]
    return _private_json(recipients=messages.contacts(current_user.id, prefix, limit=10))


# messages.id is a 32-bit INTEGER on PostgreSQL (see ids.py)
@bp.get("/messages/<int(max=2147483647):message_id>")
@login_required
def message(message_id: int):
    found = messages.open_message(current_user, message_id)
    if found is None:
        abort(404, "There is no such message in your inbox.")
    return render_template("push/message.html", message=found)


# Orders: a push after a delay, sent by the job runner (see orders.py).


@bp.route("/orders", methods=["GET", "POST"])
@login_required
def orders():
    if request.method == "POST":
        refuse_guests()
    if request.method == "POST":
        order, delay = orders_service.place_order(current_user)
        flash(
            f"Order {order} is on its way: a “delivered” push follows in about {delay} seconds.",
            "success",
        )
        return redirect(url_for("push.orders"))
    return render_template(
        "push/orders.html", jobs=orders_service.orders_of(current_user.id), now=utcnow()
    )


@bp.get("/orders/rows")
@login_required
def order_rows():
    """The list of orders alone, for the page to follow them until delivered."""
    html = render_template(
        "push/_orders.html", jobs=orders_service.orders_of(current_user.id), now=utcnow()
    )
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def unread_messages():
    def unread():
        return messages.unread_count(current_user.id) if current_user.is_authenticated else 0

    return {"unread_messages": unread}
