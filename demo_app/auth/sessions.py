"""Starting and ending logins.

Every session and remember-me cookie carries the account's session token
(User.get_id). There is one token per account, not one per browser, so ending
a login on the server ends all of them: logging out, "log out everywhere" and
a password change each give the account a new token.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user, login_user, logout_user

from ..accounts import end_sessions
from ..models import User


def start_login(user: User, remember: bool) -> None:
    """A fresh session at login, so a session fixed before it is worthless."""
    # current_user itself may be passed (a new password, a guest signing up):
    # Flask-Login must keep the account, not the proxy that would look it up.
    user = getattr(user, "_get_current_object", lambda: user)()
    session.clear()
    login_user(user, remember=remember)


def forget_this_browser() -> None:
    """This browser's cookies lose the login: an empty session, and the
    remember-me cookie deleted (logout_user() flags it, so it runs after
    clear())."""
    session.clear()
    logout_user()


def log_out_everywhere() -> None:
    """End the current user's login on every device, this browser included."""
    if current_user.is_authenticated:
        end_sessions(current_user)
    forget_this_browser()


def renew_login(user: User) -> None:
    """After the token changed: this browser logged in again with the new one,
    with a new remember-me cookie if it had one."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    start_login(user, remember=cookie in request.cookies)
