from flask import Blueprint

bp = Blueprint("inspector", __name__)

from . import routes  # noqa: E402,F401
from .views import ago, distinct_words, exact_utc  # noqa: E402

bp.add_app_template_filter(ago, "ago")
bp.add_app_template_filter(exact_utc, "exact_utc")
bp.add_app_template_filter(distinct_words, "distinct_words")
