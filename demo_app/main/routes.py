from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, jsonify, render_template

from ..extensions import csrf, db
from . import bp


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/ping")
def ping():
    """Liveness without the database: for load balancers, and the ceiling in `make bench`."""
    return current_app.response_class("pong\n", mimetype="text/plain")


@bp.get("/healthz")
@csrf.exempt
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning("health check: database unreachable: %s", type(error).__name__)
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


# Sections of the site, in menu order; a section shows once its blueprint exists.
SECTIONS = [
    (
        "onesignal.hub",
        "OneSignal",
        "Info from the app, link this device, set the external user id.",
    ),
    (
        "devices.my_devices",
        "My devices",
        "Devices linked to your account and how they were learnt.",
    ),
    ("push.send_to_me", "Send to me", "Send a push to your own phone through OneSignal."),
    ("push.inbox", "Messages", "Message another user: their phone gets a push."),
    ("push.orders", "Orders", "Simulate an order: “delivered” arrives as a push a little later."),
    ("inspector.index", "Inspector", "Every registration POST the app sent, headers to body."),
    (
        "endpoints.index",
        "Endpoints",
        "Your app's registration URL and configuration, private, shared with your team.",
    ),  # fmt: skip
]


@bp.app_context_processor
def navigation():
    views = current_app.view_functions

    def nav_items():
        return [(e, label) for e, label, _ in SECTIONS if e in views]

    def home_items():
        return [item for item in SECTIONS if item[0] in views]

    return {"nav_items": nav_items, "home_items": home_items}
