from flask import Blueprint

bp = Blueprint("inspector", __name__)

from . import routes  # noqa: E402,F401
