from __future__ import annotations

import math

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts import (
    AccountError,
    EmailTaken,
    WrongPassword,
    adopt_guest,
    authenticate,
    change_password,
    create_user,
    set_external_id,
)
from ..devices.service import links_of
from ..errors import error_response
from ..security import is_safe_next
from . import bp, limits
from .forms import ExternalIdForm, LoginForm, PasswordForm, SignupForm
from .sessions import forget_this_browser, log_out_everywhere, renew_login, start_login

# The sign-up form cannot help saying that an email has an account; it says
# no more than that, and sign-ups are throttled per address (limits.py).
EMAIL_TAKEN = "That email can't be used for a new account. If it is yours, log in instead."


def _too_many(wait: int, message: str, back: str, back_text: str):
    """429 with Retry-After, and a link back to the form."""
    minutes = f"{math.ceil(wait / 60)} minutes" if wait >= 120 else f"{wait} seconds"
    response = current_app.make_response(
        error_response(429, f"{message} Try again in {minutes}.", link=(url_for(back), back_text))
    )
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        address, email = request.remote_addr, form.email.data
        wait = limits.login_wait(address, email)
        if wait:
            return _too_many(wait, "Too many failed logins.", "auth.login", "Back to log in")
        user = authenticate(email, form.password.data)
        if user is None:
            limits.login_failed(address, email)
            # shown under the password, and tied to both fields (login.html)
            form.password.errors.append("Wrong email or password.")
            return render_template("auth/login.html", form=form, wrong=True), 200
        limits.login_succeeded(address, email)
        start_login(user, remember=form.remember.data)
        flash("You are logged in.", "success")
        target = form.next.data
        response = redirect(target if is_safe_next(target) else url_for("main.index"))
        limits.remember_device(response, user.email)
        return response
    return render_template("auth/login.html", form=form)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404, "Sign-up is switched off on this site. Ask its operator for an account.")
    form = SignupForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        wait = limits.signup_wait(request.remote_addr)
        if wait:
            message = "Too many sign-up attempts from your address."
            return _too_many(wait, message, "auth.signup", "Back to sign up")
        limits.signup_tried(request.remote_addr)
        try:
            if current_user.is_authenticated and current_user.is_guest:
                # the guest's endpoints and captures stay theirs
                user = adopt_guest(current_user, form.email.data, form.password.data)
            else:
                user = create_user(form.email.data, form.password.data)
        except EmailTaken:
            form.email.errors.append(EMAIL_TAKEN)
        except AccountError as error:
            form.email.errors.append(str(error))
        else:
            start_login(user, remember=False)
            flash("Welcome! Your account is ready.", "success")
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"))
    return render_template("auth/signup.html", form=form)


@bp.post("/logout")
def logout():
    # This browser only: the phone's app stays logged in, and its
    # registration POSTs stay linked ("Log out everywhere" ends them all).
    forget_this_browser()
    flash("You are logged out in this browser.", "success")
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
        try:
            set_external_id(current_user, form.external_id.data)
        except AccountError as error:
            form.external_id.errors.append(str(error))
        else:
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
        address, email = request.remote_addr, current_user.email
        wait = limits.login_wait(address, email)
        if wait:
            message = "Too many wrong passwords."
            return _too_many(wait, message, "auth.profile", "Back to your profile")
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except WrongPassword as error:
            limits.login_failed(address, email)
            form.current_password.errors.append(str(error))
        else:
            renew_login(current_user)
            flash("Password changed. Every other device is logged out.", "success")
            return redirect(url_for("auth.profile"))
    return _profile_page(password_form=form)


def _profile_page(form=None, password_form=None):
    if form is None:
        form = ExternalIdForm(formdata=None, external_id=current_user.external_id)
    links = links_of(current_user.id)
    return render_template(
        "auth/profile.html",
        form=form,
        password_form=password_form or PasswordForm(formdata=None),
        links=links,
    )
