from flask import Blueprint

bp = Blueprint("receiver", __name__)

from . import routes  # noqa: E402,F401
