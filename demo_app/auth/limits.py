"""How fast one can try passwords and sign-ups.

Failed logins are counted per (address, email) pair, so one person's typos or
an attacker's guesses lock out neither a colleague behind the same address nor
the account's owner elsewhere. A pair may fail LOGIN_LIMIT_PER_PAIR times within
an hour; then each failure locks it for a minute, doubling per further failure
up to 15 minutes. One address also has a ceiling over every email
(LOGIN_LIMIT_PER_ADDRESS in 10 minutes), against guessing across accounts.
Sign-up attempts are counted per address (SIGNUP_LIMIT_PER_HOUR), since the
sign-up form has to say when an email can't be used and must not be a fast
way to find out who has an account. Counted in the database (throttle.py), so
every worker and host shares them.

A browser that has logged in to an account before keeps a signed "known
device" cookie naming it (a year). For that account the address-wide ceiling
does not apply to it, so strangers guessing from the same address (an office,
a carrier's NAT) cannot lock the owner out; the per-pair limit still does.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

from .. import throttle
from ..accounts import normalise_email
from ..receiver.masking import KNOWN_DEVICE_COOKIE

FIRST_LOCK = dt.timedelta(minutes=1)
LONGEST_LOCK = dt.timedelta(minutes=15)
ADDRESS_WINDOW = dt.timedelta(minutes=10)
SIGNUP_WINDOW = dt.timedelta(hours=1)


def _pair_key(address: str | None, email: str) -> str:
    pair = f"{address}\n{normalise_email(email)}".encode()
    return "login-pair:" + hashlib.sha256(pair).hexdigest()


def _address_key(address: str | None) -> str:
    return f"login-address:{address}"


KNOWN_DEVICE_AGE = 365 * 24 * 3600


def _known_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def known_device(email: str) -> bool:
    """Whether this browser has logged in to `email`'s account before."""
    value = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not value:
        return False
    try:
        known = _known_signer().loads(value, max_age=KNOWN_DEVICE_AGE)
    except BadData:
        return False
    return known == _email_digest(email)


def remember_device(response, email: str) -> None:
    """After a successful login: this browser is known to `email`'s account."""
    secure = current_app.config.get("SESSION_COOKIE_SECURE", False) or request.is_secure
    response.set_cookie(KNOWN_DEVICE_COOKIE, _known_signer().dumps(_email_digest(email)),
                        max_age=KNOWN_DEVICE_AGE, httponly=True, samesite="Lax",
                        secure=secure)  # fmt: skip


def _email_digest(email: str) -> str:
    # the cookie names the account without carrying its email
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def login_wait(address: str | None, email: str) -> int:
    """Seconds before this address may try this email again; 0: go ahead."""
    config = current_app.config
    pair = throttle.locked_for(
        _pair_key(address, email), config["LOGIN_LIMIT_PER_PAIR"], FIRST_LOCK, LONGEST_LOCK
    )
    if known_device(email):
        return pair
    key = _address_key(address)
    if throttle.over_limit([key], config["LOGIN_LIMIT_PER_ADDRESS"], ADDRESS_WINDOW):
        return max(pair, throttle.retry_after(key, ADDRESS_WINDOW))
    return pair


def login_failed(address: str | None, email: str) -> None:
    throttle.record(_pair_key(address, email), _address_key(address))


def login_succeeded(address: str | None, email: str) -> None:
    throttle.forget(_pair_key(address, email))


def signup_wait(address: str | None) -> int:
    """Seconds before this address may try another sign-up; 0: go ahead."""
    key = f"signup-address:{address}"
    if throttle.over_limit([key], current_app.config["SIGNUP_LIMIT_PER_HOUR"], SIGNUP_WINDOW):
        return throttle.retry_after(key, SIGNUP_WINDOW)
    return 0


def signup_tried(address: str | None) -> None:
    throttle.record(f"signup-address:{address}")
