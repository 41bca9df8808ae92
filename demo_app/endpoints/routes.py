"""Pages to create, share and delete private receiver endpoints."""

from __future__ import annotations

import datetime as dt
import json
import shlex

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import throttle
from ..accounts import GUEST_DAYS, create_guest, prune_guests
from ..auth.sessions import start_login
from ..errors import error_response
from ..links import site_url
from ..models import Endpoint
from . import bp, service
from .forms import ClearReplyForm, EndpointForm, ForwardForm, ReplyForm, ShareForm

SHARE_WINDOW = dt.timedelta(hours=1)
SHARE_MISSES_PER_HOUR = 20
GUEST_WINDOW = dt.timedelta(hours=1)


def _mine_or_404(endpoint_id: int, *, owner: bool = False):
    """The endpoint if the viewer may see it (owner only when `owner`)."""
    endpoint = service.visible_endpoint(endpoint_id, current_user)
    if endpoint is None or (owner and endpoint.owner_id != current_user.id):
        abort(404, "You have no endpoint with that id.")
    return endpoint


@bp.route("/endpoints", methods=["GET", "POST"])
def index():
    if not current_user.is_authenticated:
        if request.method == "POST":
            return current_app.login_manager.unauthorized()
        # a visitor: a private URL in one click, or log in for their own
        return render_template("endpoints/guest.html", days=GUEST_DAYS)
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint = service.create(current_user, form.name.data)
        except service.EndpointError as error:
            form.name.errors.append(str(error))
        else:
            flash(f"Endpoint “{endpoint.name}” created. Paste its URL into your app.", "success")
            return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))
    return render_template(
        "endpoints/index.html",
        form=form,
        endpoints=service.endpoints_of(current_user.id),
        invitations=service.invitations_of(current_user.id),
    )


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/accept")
@login_required
def accept(endpoint_id: int):
    endpoint = service.accept(endpoint_id, current_user.id)
    if endpoint is None:
        abort(404, "You have no invitation to that endpoint.")
    flash(f"You now see the captures of “{endpoint.name}”.", "success")
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/decline")
@login_required
def decline(endpoint_id: int):
    if not service.decline(endpoint_id, current_user.id):
        abort(404, "You have no invitation to that endpoint.")
    flash("Invitation declined.", "success")
    return redirect(url_for("endpoints.index"))


@bp.get("/endpoints/<int(max=2147483647):endpoint_id>")
@login_required
def detail(endpoint_id: int, reply_form: ReplyForm | None = None, status: int = 200,
           forward_form: ForwardForm | None = None):  # fmt: skip
    endpoint = _mine_or_404(endpoint_id)
    return render_template(
        "endpoints/detail.html",
        endpoint=endpoint,
        rename_form=EndpointForm(name=endpoint.name),
        share_form=ShareForm(),
        reply_form=reply_form or _reply_form_of(endpoint),
        forward_form=forward_form
        or ForwardForm(formdata=None, url=endpoint.forward_url, answer=endpoint.forward_answer),
        owner=endpoint.owner_id == current_user.id,
        offer_new_url=request.args.get("removed") == "1",
        captures=service.capture_count(endpoint),
        **start_context(endpoint),
    ), status


def _reply_form_of(endpoint) -> ReplyForm:
    if endpoint.reply_status is None:
        return ReplyForm(formdata=None, status=503, delay=0,
                         body='{"error": "maintenance"}')  # fmt: skip
    return ReplyForm(
        formdata=None,
        status=endpoint.reply_status,
        content_type=endpoint.reply_content_type,
        body=endpoint.reply_body,
        delay=endpoint.reply_delay_ms / 1000,
    )


@bp.post("/guest")
def guest():
    """A private endpoint without signing up: a guest account behind this
    browser's cookies, kept GUEST_DAYS days (accounts.create_guest)."""
    if current_user.is_authenticated:
        return redirect(url_for("endpoints.index"))
    key, limit = f"guest:{request.remote_addr}", current_app.config["GUEST_LIMIT_PER_HOUR"]
    if throttle.over_limit([key], limit, GUEST_WINDOW):
        wait = throttle.retry_after(key, GUEST_WINDOW)
        response = current_app.make_response(error_response(
            429, f"Too many guest endpoints from your address. Try again in {wait // 60 + 1} "
            "minutes, or sign up.", link=(url_for("auth.signup"), "Sign up")))  # fmt: skip
        response.headers["Retry-After"] = str(wait)
        return response
    throttle.record(key)
    prune_guests()  # those whose time is over, before making another
    user = create_guest()
    endpoint = service.create(user, "My endpoint")
    start_login(user, remember=True)
    flash(f"Your private endpoint is ready. It is kept for {GUEST_DAYS} days in this browser; "
          "sign up to keep it for good.", "success")  # fmt: skip
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))


def receiver_url(endpoint) -> str:
    return site_url("receiver.endpoint", token=endpoint.token)


SAMPLE = {"platform": "ios", "oneSignalUserId": "1a2b3c4d-0000-4000-8000-00000000abcd",
          "oneSignalPushToken": "7f9e", "oneSignalSubscribed": True}  # fmt: skip


def start_context(endpoint: Endpoint | None) -> dict:
    """How to send to `endpoint` (the shared URL when None): its URL, the
    `registration` section of the app's appConfig.json, a cURL sample, and
    where the page's "Send a sample POST" button posts (static/js/receiver.js)."""
    url = receiver_url(endpoint) if endpoint else site_url("receiver.register")
    endpoints = [{"url": url, "urlRegex": ".*", "dataType": "onesignal"}]
    registration = {"active": True, "endpoints": endpoints}
    sample = json.dumps(SAMPLE, separators=(",", ":"))
    return {
        "start_url": url,
        "config_json": json.dumps({"registration": registration}, indent=2),
        "curl_sample": f"curl -X POST {shlex.quote(url)} -H 'Content-Type: application/json' "
        f"--data {shlex.quote(sample)}",
        "sample_url": url if endpoint else url + "/sample",
        "max_bytes": current_app.config["REGISTER_MAX_BYTES"],
        "max_count": current_app.config["CAPTURE_MAX_COUNT"],
        "max_days": current_app.config["CAPTURE_MAX_DAYS"],
        "per_minute": current_app.config["REGISTER_LIMIT_PER_MINUTE"],
    }


@bp.get("/receiver")
def receiver():
    """The receiver's old page: its URL, configuration and samples are on each endpoint's page."""
    return redirect(url_for("endpoints.index"))


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/rename")
@login_required
def rename(endpoint_id: int):
    endpoint = _mine_or_404(endpoint_id, owner=True)
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            service.rename(endpoint, form.name.data)
            flash("Renamed.", "success")
        except service.EndpointError as error:
            flash(str(error), "error")
    else:
        flash("Give the endpoint a name of up to 80 characters.", "error")
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/reply")
@login_required
def reply(endpoint_id: int):
    """Answer the app's POSTs with a reply of the owner's choosing."""
    endpoint = _mine_or_404(endpoint_id, owner=True)
    form = ReplyForm()
    if form.validate_on_submit():
        delay_ms = int(float(form.delay.data or 0) * 1000)
        try:
            service.set_reply(endpoint, form.status.data, form.content_type.data,
                              form.body.data or "", delay_ms)  # fmt: skip
        except service.EndpointError as error:
            form.body.errors = [*form.body.errors, str(error)]
        else:
            flash(f"The app's POSTs to “{endpoint.name}” are now answered {form.status.data}.",
                  "success")  # fmt: skip
            return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))
    return detail(endpoint.id, reply_form=form, status=400)


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/reply/clear")
@login_required
def clear_reply(endpoint_id: int):
    endpoint = _mine_or_404(endpoint_id, owner=True)
    if ClearReplyForm().validate_on_submit():
        service.clear_reply(endpoint)
        flash("The endpoint answers with the receiver's own JSON again.", "success")
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/new-url")
@login_required
def new_url(endpoint_id: int):
    endpoint = _mine_or_404(endpoint_id, owner=True)
    service.new_url(endpoint)
    flash("The endpoint has a new URL; the old one now answers 404. Update your app.", "success")
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/delete")
@login_required
def delete(endpoint_id: int):
    endpoint = _mine_or_404(endpoint_id, owner=True)
    name = endpoint.name
    removed = service.delete(endpoint)
    flash(f"Endpoint “{name}” and its {removed} captures were deleted.", "success")
    return redirect(url_for("endpoints.index"))


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/captures/delete")
@login_required
def clear_captures(endpoint_id: int):
    """The owner deletes all the endpoint's captures (members only read them)."""
    endpoint = _mine_or_404(endpoint_id, owner=True)
    removed = service.clear_captures(endpoint)
    flash(
        f"{removed} capture{'' if removed == 1 else 's'} of “{endpoint.name}” deleted.", "success"
    )
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/share")
@login_required
def share(endpoint_id: int):
    endpoint = _mine_or_404(endpoint_id, owner=True)
    form = ShareForm()
    if not form.validate_on_submit():
        flash("Enter your teammate's email.", "error")
        return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))
    # Asking for an email that has no account says so (the owner needs to
    # know), so misses are limited: nobody can list the site's accounts.
    key = f"share-miss:{current_user.id}"
    if throttle.over_limit([key], SHARE_MISSES_PER_HOUR, SHARE_WINDOW):
        abort(429, "Too many shares to unknown emails in the last hour. Try again later.")
    try:
        user = service.share(endpoint, form.email.data)
    except service.EndpointError as error:
        if "No account" in str(error):
            throttle.record(key)
        flash(str(error), "error")
    else:
        flash(
            f"Invited {user.email}: they see this endpoint's captures once they accept "
            "(under Endpoints).",
            "success",
        )
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id))


@bp.post(
    "/endpoints/<int(max=2147483647):endpoint_id>/members/<int(max=2147483647):user_id>/remove"
)
@login_required
def unshare(endpoint_id: int, user_id: int):
    """The owner removes a member, or a member leaves."""
    endpoint = _mine_or_404(endpoint_id)
    if current_user.id not in (endpoint.owner_id, user_id) or not service.unshare(
        endpoint, user_id
    ):
        abort(404, "That person is not a member of this endpoint.")
    if user_id == current_user.id:
        flash(f"You left “{endpoint.name}”.", "success")
        return redirect(url_for("endpoints.index"))
    flash("Removed: they no longer see this endpoint's captures.", "success")
    # They may still know the URL: the page offers a new one, in one click.
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id, removed=1))


@bp.app_context_processor
def endpoint_helpers():
    return {"endpoint_url": receiver_url}


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/forward")
@login_required
def set_forward(endpoint_id: int):
    """Send each capture on to the owner's backend too."""
    endpoint = _mine_or_404(endpoint_id, owner=True)
    form = ForwardForm()
    if form.validate_on_submit():
        try:
            service.set_forward(endpoint, form.url.data.strip(), form.answer.data)
        except service.EndpointError as error:
            form.url.errors = [*form.url.errors, str(error)]
        else:
            flash("Each request to this endpoint is now also sent to your backend.", "success")
            return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id) + "#forward")
    return detail(endpoint.id, forward_form=form, status=400)


@bp.post("/endpoints/<int(max=2147483647):endpoint_id>/forward/stop")
@login_required
def stop_forwarding(endpoint_id: int):
    endpoint = _mine_or_404(endpoint_id, owner=True)
    if ClearReplyForm().validate_on_submit():
        service.stop_forwarding(endpoint)
        flash("Requests to this endpoint are no longer forwarded.", "success")
    return redirect(url_for("endpoints.detail", endpoint_id=endpoint.id) + "#forward")
