"""The in-app demo: the OneSignal hub page."""

from flask import Blueprint

bp = Blueprint("onesignal", __name__)

from . import routes  # noqa: E402,F401
