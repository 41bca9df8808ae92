"""The in-app demo: the OneSignal hub page, My devices, and their JSON calls."""

from flask import Blueprint

bp = Blueprint("onesignal", __name__)
devices_bp = Blueprint("devices", __name__)

from . import routes  # noqa: E402,F401
