from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import throttle
from ..accounts import AccountError, change_password, create_user, find_by_email, normalise_email
from ..errors import error_response
from ..extensions import db
from ..models import User, UserDevice
from ..security import is_safe_next
from . import bp
from .forms import ExternalIdForm, LoginForm, PasswordForm, SignupForm
from .sessions import log_out_everywhere, renew_login, start_login

WINDOW = dt.timedelta(minutes=1)


def _throttle_keys(email: str) -> list[str]:
    return [f"login-ip:{request.remote_addr}", f"login-email:{normalise_email(email)}"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        keys = _throttle_keys(form.email.data)
        limit = current_app.config["LOGIN_LIMIT_PER_MINUTE"]
        if throttle.over_limit(keys, limit, WINDOW):
            wait = max(throttle.retry_after(key, WINDOW) for key in keys)
            response = current_app.make_response(
                error_response(
                    429,
                    f"Too many failed logins from this address or for this account. "
                    f"Try again in {wait} seconds.",
                )
            )
            response.headers["Retry-After"] = str(wait)
            return response
        user = find_by_email(form.email.data)
        if user is None or not user.check_password(form.password.data):
            throttle.record(*keys)
            flash("Wrong email or password.", "error")
            return render_template("auth/login.html", form=form), 200
        start_login(user, remember=form.remember.data)
        flash("You are logged in.", "success")
        target = form.next.data
        return redirect(target if is_safe_next(target) else url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404, "Sign-up is switched off on this site. Ask its operator for an account.")
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.password.data)
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            start_login(user, remember=False)
            flash("Welcome! Your account is ready.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/signup.html", form=form)


@bp.post("/logout")
def logout():
    # One session token per account: ending this login ends the others too.
    log_out_everywhere()
    flash("You are logged out, here and on your other devices.", "success")
    return redirect(url_for("main.index"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    log_out_everywhere()
    flash("You are logged out on every device. Log in again where you need to.", "success")
    return redirect(url_for("main.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ExternalIdForm()
    if request.method == "GET":
        form.external_id.data = current_user.external_id
    elif form.validate_on_submit():
        value = form.external_id.data
        taken = db.session.scalar(
            sa.select(User.id).where(User.external_id == value, User.id != current_user.id)
        )
        if taken:
            form.external_id.errors.append("Another account uses that external id.")
        else:
            current_user.external_id = value
            db.session.commit()
            flash(
                "External id saved. Set it on your device again from the OneSignal page.", "success"
            )
            return redirect(url_for("auth.profile"))
    return _profile_page(form=form)


@bp.post("/profile/password", endpoint="change_password")
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except AccountError as error:
            form.current_password.errors.append(str(error))
        else:
            renew_login(current_user)
            flash("Password changed. Every other device is logged out.", "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(password_form=form)


def _profile_page(form=None, password_form=None):
    if form is None:
        form = ExternalIdForm(formdata=None, external_id=current_user.external_id)
    links = db.session.scalars(
        sa.select(UserDevice)
        .where(UserDevice.user_id == current_user.id)
        .order_by(UserDevice.last_seen.desc())
    ).all()
    return render_template(
        "auth/profile.html",
        form=form,
        password_form=password_form or PasswordForm(formdata=None),
        links=links,
    )
