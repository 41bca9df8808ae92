"""Starting and ending logins.

Each browser that logs in gets a login of its own (a Login row); its session
and remember-me cookies carry that login's token (User.get_id). Logging out
deletes this browser's login, so its cookies, and any copy of them, stop
working, while the account's other browsers (the phone's app) stay logged in.
"Log out everywhere" and a new password delete every login of the account.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login import current_user, login_user, logout_user

from ..accounts import end_sessions
from ..extensions import db
from ..models import Login, User


def start_login(user: User, remember: bool) -> None:
    """A fresh session at login, so a session fixed before it is worthless."""
    # current_user itself may be passed (a new password, a guest signing up):
    # Flask-Login must keep the account, not the proxy that would look it up.
    user = getattr(user, "_get_current_object", lambda: user)()
    login = Login(user_id=user.id)
    db.session.add(login)
    db.session.commit()
    user.login_token = login.token
    session.clear()
    login_user(user, remember=remember)


def forget_this_browser() -> None:
    """This browser's login ends: its Login row goes (a copied cookie is
    worthless), the session is emptied and the remember-me cookie deleted
    (logout_user() flags it, so it runs after clear())."""
    if current_user.is_authenticated and current_user.login_token:
        db.session.execute(sa.delete(Login).where(Login.token == current_user.login_token))
        db.session.commit()
    session.clear()
    logout_user()


def log_out_everywhere() -> None:
    """End the current user's login on every device, this browser included."""
    if current_user.is_authenticated:
        end_sessions(current_user)
    forget_this_browser()


def renew_login(user: User) -> None:
    """After every login of the account ended (a new password): this browser
    logs in again, with a new remember-me cookie if it had one."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    start_login(user, remember=cookie in request.cookies)
