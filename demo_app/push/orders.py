"""Orders: a push after a delay, sent by the job runner."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app

from .. import jobs
from ..extensions import db
from ..links import site_url
from ..models import Job, User
from .service import send_to

KIND = "order_delivered"


def place_order(user: User) -> tuple[str, int]:
    """Queue the "delivered" push for a made-up order: (order number, delay s)."""
    delay = current_app.config["ORDER_DELAY_SECONDS"]
    order = f"PL-{secrets.randbelow(90000) + 10000}"
    jobs.enqueue(KIND, user.id, {"order": order, "url": site_url("push.orders")}, delay)
    db.session.commit()
    return order, delay


def orders_of(user_id: int) -> list[Job]:
    return db.session.scalars(
        sa.select(Job).where(Job.user_id == user_id, Job.kind == KIND)
        .order_by(Job.id.desc()).limit(20)
    ).all()  # fmt: skip


@jobs.handler(KIND)
def order_delivered(job: Job) -> None:
    user = db.session.get(User, job.user_id)
    if user is None:
        return
    order = job.payload.get("order", "your order")
    target = current_app.config["PUSH_TARGET"]
    results = send_to(
        user, target if target in ("devices", "external_id") else "devices",
        title="Your order was delivered",
        message=f"Order {order} was delivered. Enjoy!",
        page=job.payload.get("url") or site_url("push.orders"),
        data={"kind": "order", "order": order}, kind="order",
    )  # fmt: skip
    job.payload = {**job.payload, "push": results[0].outcome, "summary": results[0].summary}
