"""Creating and finding accounts; used by the sign-up page and the CLI."""

from __future__ import annotations

import sqlalchemy as sa

from .extensions import db
from .external_id import default_for
from .models import User, new_session_token


class AccountError(ValueError):
    pass


class WrongPassword(AccountError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, *, admin: bool = False) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("That is not an email address.")
    if len(password) < 8:
        raise AccountError("The password must have 8 characters or more.")
    if find_by_email(email):
        raise AccountError("An account with that email already exists.")
    user = User(email=email, is_admin=admin)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    user.external_id = default_for(user.id)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        raise AccountError("An account with that email already exists.") from error
    return user


def end_sessions(user: User) -> None:
    """A new session token: every session and remember-me cookie of this
    account, on every device, stops working."""
    user.session_token = new_session_token()
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; ends every session."""
    if not user.check_password(current):
        raise WrongPassword("Your current password is wrong.")
    if len(new) < 8:
        raise AccountError("The password must have 8 characters or more.")
    user.set_password(new)
    end_sessions(user)
