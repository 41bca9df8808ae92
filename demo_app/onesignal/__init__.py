"""The OneSignal code: the in-app hub page, the REST client and the look-ups."""

from flask import Blueprint

bp = Blueprint("onesignal", __name__)

from . import routes  # noqa: E402,F401
