from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import throttle
from ..accounts import AccountError, create_user, find_by_email, normalise_email
from ..errors import error_response
from ..extensions import db
from ..models import User, UserDevice
from ..security import is_safe_next
from . import bp
from .forms import ExternalIdForm, LoginForm, SignupForm

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
        # A fresh session at login, so a session fixed before it is worthless.
        session.clear()
        login_user(user, remember=form.remember.data)
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
            session.clear()
            login_user(user)
            flash("Welcome! Your account is ready.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/signup.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("You are logged out.", "success")
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
    links = db.session.scalars(
        sa.select(UserDevice)
        .where(UserDevice.user_id == current_user.id)
        .order_by(UserDevice.last_seen.desc())
    ).all()
    return render_template("auth/profile.html", form=form, links=links)
