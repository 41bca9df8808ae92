from flask import Blueprint

bp = Blueprint("endpoints", __name__)

from . import routes  # noqa: E402,F401
