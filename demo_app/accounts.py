"""Creating and finding accounts; used by the sign-up page and the CLI."""

from __future__ import annotations

import datetime as dt
import functools
import secrets

import sqlalchemy as sa
from flask import abort, current_app
from flask_login import current_user
from werkzeug.security import check_password_hash, generate_password_hash

from .devices.external_id import default_for
from .extensions import db
from .models import Capture, Endpoint, Login, User, utcnow
from .receiver.store import delete_captures


class AccountError(ValueError):
    pass


class WrongPassword(AccountError):
    pass


class EmailTaken(AccountError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash made the way real ones are (same method and cost) of a password
    nobody knows."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def authenticate(email: str, password: str) -> User | None:
    """The account if the password is right. An unknown email costs one
    password hash as well, so both answers take as long."""
    user = find_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    return user if user.check_password(password) else None


def create_user(email: str, password: str, *, admin: bool = False) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("That is not an email address.")
    if len(password) < 8:
        raise AccountError("The password must have 8 characters or more.")
    if find_by_email(email):
        raise EmailTaken("An account with that email already exists.")
    user = User(email=email, is_admin=admin)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()  # a sign-up for the same email at the same moment fails here
        user.external_id = default_for(user.id)
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        raise EmailTaken("An account with that email already exists.") from error
    return user


GUEST_DAYS = 7
GUEST_DOMAIN = "guest.invalid"  # .invalid: a name that never reaches anybody


def create_guest() -> User:
    """A guest account: no sign-up, kept GUEST_DAYS days (its browser's
    cookies are the only way in)."""
    user = User(email=f"guest-{secrets.token_hex(8)}@{GUEST_DOMAIN}",
                guest_until=utcnow() + dt.timedelta(days=GUEST_DAYS))  # fmt: skip
    user.set_password(secrets.token_urlsafe(32))
    db.session.add(user)
    db.session.commit()
    return user


def adopt_guest(guest: User, email: str, password: str) -> User:
    """The guest signs up: the same account, with its endpoints and captures,
    gets a real email and password and is kept."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.endswith("@" + GUEST_DOMAIN):
        raise AccountError("That is not an email address.")
    if len(password) < 8:
        raise AccountError("The password must have 8 characters or more.")
    if find_by_email(email):
        raise EmailTaken("An account with that email already exists.")
    guest.email, guest.guest_until = email, None
    guest.set_password(password)
    try:
        db.session.flush()
        guest.external_id = guest.external_id or default_for(guest.id)
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        raise EmailTaken("An account with that email already exists.") from error
    return guest


def refuse_guests() -> None:
    """Guests receive and inspect; sending pushes and messages takes an account."""
    if current_user.is_authenticated and current_user.is_guest:
        abort(403, "Guests can receive and inspect, not send pushes or messages: sign up "
              "(your endpoint and its captures come along).")  # fmt: skip


def prune_guests() -> int:
    """Delete the guests whose time is over, with their endpoints and every
    capture they own (remembered, so an import never brings one back)."""
    expired = sa.select(User.id).where(User.guest_until < utcnow())
    endpoints = sa.select(Endpoint.id).where(Endpoint.owner_id.in_(expired))
    delete_captures(sa.or_(Capture.endpoint_id.in_(endpoints), Capture.user_id.in_(expired)))
    removed = db.session.execute(sa.delete(User).where(User.id.in_(expired))).rowcount
    db.session.commit()
    return removed


def end_sessions(user: User) -> None:
    """Every login of this account ends: each browser's session and
    remember-me cookies, on every device, stop working."""
    db.session.execute(sa.delete(Login).where(Login.user_id == user.id))
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; ends every session."""
    if not user.check_password(current):
        raise WrongPassword("Your current password is wrong.")
    if len(new) < 8:
        raise AccountError("The password must have 8 characters or more.")
    user.set_password(new)
    end_sessions(user)


def set_external_id(user: User, value: str) -> None:
    """Give `user` the external id `value` (already checked by the form)."""
    taken = db.session.scalar(
        sa.select(User.id).where(User.external_id == value, User.id != user.id)
    )
    if taken:
        raise AccountError("Another account uses that external id.")
    user.external_id = value
    db.session.commit()
