"""Creating and finding accounts; used by the sign-up page and the CLI."""

from __future__ import annotations

import sqlalchemy as sa

from .extensions import db
from .external_id import default_for
from .models import User


class AccountError(ValueError):
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
