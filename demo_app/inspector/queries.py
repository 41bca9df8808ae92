"""Finding captures: filters and keyset pages.

Pages are cut by id (`id < before`, newest first; `id > after`, oldest first
for tailing), never by OFFSET, so a page costs the same however many captures
are stored. Filters use the (column, id) indexes on captures; only the text
search has to look at rows one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts import normalise_email
from ..extensions import db
from ..models import Capture, User

STATUSES = ("ok", "parse_error", "too_large", "rejected")
PLATFORMS = ("ios", "android")
MAX_LIMIT = 500


@dataclass
class Filters:
    label: str = ""
    user: str = ""
    platform: str = ""
    path: str = ""
    status: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args, viewer_email: str | None = None) -> Filters:
        filters = cls(
            **{name: (args.get(name) or "").strip()[:200] for name in cls.__annotations__}
        )
        if filters.user == "me" and viewer_email:
            filters.user = viewer_email
        return filters

    def as_args(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}

    def any(self) -> bool:
        return bool(self.as_args())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(filters: Filters) -> sa.Select:
    # every row shows its sender and device: load them in the same query
    query = sa.select(Capture).options(so.joinedload(Capture.user), so.joinedload(Capture.device))
    if filters.label:
        query = query.where(Capture.label == filters.label)
    if filters.user:
        if filters.user == "anonymous":
            query = query.where(Capture.user_id.is_(None))
        else:
            user_id = db.session.scalar(
                sa.select(User.id).where(User.email == normalise_email(filters.user))
            )
            query = query.where(Capture.user_id == (user_id or -1))
    if filters.platform:
        if filters.platform == "other":
            query = query.where(
                sa.or_(Capture.platform.is_(None), Capture.platform.not_in(PLATFORMS))
            )
        else:
            query = query.where(Capture.platform == filters.platform.lower())
    if filters.path:
        query = query.where(Capture.path.like(_escape_like(filters.path) + "%", escape="\\"))
    if filters.status:
        query = query.where(Capture.status == filters.status)
    if filters.q:
        pattern = "%" + _escape_like(filters.q.lower()) + "%"
        query = query.where(Capture.search_text.like(pattern, escape="\\"))
    return query


def newest_first(
    filters: Filters, before: int | None, limit: int
) -> tuple[list[Capture], int | None]:
    """One page, newest first, and the id to ask for the next (older) page."""
    query = filtered(filters)
    if before:
        query = query.where(Capture.id < before)
    rows = db.session.scalars(query.order_by(Capture.id.desc()).limit(limit + 1)).all()
    older = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], older


def oldest_first_after(filters: Filters, after: int, limit: int) -> list[Capture]:
    query = filtered(filters).where(Capture.id > after)
    return db.session.scalars(query.order_by(Capture.id.asc()).limit(limit)).all()


def labels_in_use(window: int = 1000) -> list[str]:
    """Labels among the newest captures (bounded work at any table size)."""
    recent = sa.select(Capture.label).order_by(Capture.id.desc()).limit(window).subquery()
    query = sa.select(recent.c.label).where(recent.c.label.is_not(None)).distinct()
    return sorted(db.session.scalars(query))
