"""Everything about devices: the OneSignal info normaliser (info.py), the
external user id rules (external_id.py), linking, unlinking and the external
id state of each link (service.py), and the pages and JSON calls that use
them (routes.py)."""

from flask import Blueprint

bp = Blueprint("devices", __name__)

from . import routes  # noqa: E402,F401
