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
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import current_app

from .. import throttle
from ..accounts import normalise_email

FIRST_LOCK = dt.timedelta(minutes=1)
LONGEST_LOCK = dt.timedelta(minutes=15)
ADDRESS_WINDOW = dt.timedelta(minutes=10)
SIGNUP_WINDOW = dt.timedelta(hours=1)


def _pair_key(address: str | None, email: str) -> str:
    pair = f"{address}\n{normalise_email(email)}".encode()
    return "login-pair:" + hashlib.sha256(pair).hexdigest()


def _address_key(address: str | None) -> str:
    return f"login-address:{address}"


def login_wait(address: str | None, email: str) -> int:
    """Seconds before this address may try this email again; 0: go ahead."""
    config = current_app.config
    pair = throttle.locked_for(
        _pair_key(address, email), config["LOGIN_LIMIT_PER_PAIR"], FIRST_LOCK, LONGEST_LOCK
    )
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
