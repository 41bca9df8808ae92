"""Sending pushes: send to me, messages between users, orders, re-engagement."""

from flask import Blueprint

bp = Blueprint("push", __name__)

from . import routes  # noqa: E402,F401
