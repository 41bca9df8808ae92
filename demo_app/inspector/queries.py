"""Finding captures: filters and keyset pages.

Pages are cut by id (`id < before`, newest first; `id > after`, oldest first
for tailing), never by OFFSET, so a page costs the same however many captures
are stored. Filters use the (column, id) indexes on captures; the text search
uses a full-text index (see search.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..accounts import normalise_email
from ..endpoints.service import Access
from ..extensions import db
from ..ids import parse_id
from ..models import Capture, User
from . import search

STATUSES = ("ok", "warning", "parse_error", "too_large", "rejected")
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
    endpoint_id: str = ""

    @classmethod
    def from_args(cls, args, viewer_email: str | None = None) -> Filters:
        filters = cls(
            **{name: (args.get(name) or "").strip()[:200] for name in cls.__annotations__}
        )
        if filters.user == "me" and viewer_email:
            filters.user = viewer_email
        if filters.endpoint_id:
            filters.endpoint_id = str(parse_id("endpoint_id", filters.endpoint_id))
        return filters

    def as_args(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}

    def any(self) -> bool:
        return bool(self.as_args())


_escape_like = search._escape_like


def _conditions(filters: Filters) -> list:
    """The WHERE clauses the filters ask for, but the text search (_ids)."""
    where = []
    if filters.label:
        where.append(Capture.label == filters.label)
    if filters.endpoint_id:
        where.append(Capture.endpoint_id == int(filters.endpoint_id))
    if filters.user:
        if filters.user == "anonymous":
            where.append(Capture.user_id.is_(None))
        else:
            user_id = db.session.scalar(
                sa.select(User.id).where(User.email == normalise_email(filters.user))
            )
            where.append(Capture.user_id == (user_id or -1))
    if filters.platform:
        if filters.platform == "other":
            where.append(sa.or_(Capture.platform.is_(None), Capture.platform.not_in(PLATFORMS)))
        else:
            where.append(Capture.platform == filters.platform.lower())
    if filters.path:
        where.append(Capture.path.like(_escape_like(filters.path) + "%", escape="\\"))
    if filters.status:
        where.append(Capture.status == filters.status)
    return where


def _ids(
    access: Access,
    where: list,
    descending: bool,
    limit: int,
    q: str = "",
    below: int | None = None,
    above: int | None = None,
) -> list[int]:
    """The first `limit` ids the viewer may see that match `where` and hold
    the text `q`, in id order, between the id bounds `below` and `above`."""
    bounds = [Capture.id < below] if below is not None else []
    bounds += [Capture.id > above] if above is not None else []
    if not q:
        return _scoped_ids(access, [*where, *bounds], descending, limit)
    return search.matching_ids(
        q,
        lambda extra: _scoped_ids(access, [*where, *bounds, *extra], descending, limit),
        descending,
        limit,
        below,
        above,
    )


def _scoped_ids(access: Access, where: list, descending: bool, limit: int) -> list[int]:
    """The first `limit` ids the viewer may see that match `where`, in id order.

    One query per visibility scope (see `Access.scopes`), merged here: each is
    a short walk down one (column, id) index, where one OR-ed query would have
    to sort everything the viewer may see."""
    order = Capture.id.desc() if descending else Capture.id.asc()
    found: set[int] = set()
    for scope in access.scopes():
        query = sa.select(Capture.id).where(*where)
        if scope is not None:
            query = query.where(scope)
        found.update(db.session.scalars(query.order_by(order).limit(limit)))
    return sorted(found, reverse=descending)[:limit]


def _load(ids: list[int]) -> list[Capture]:
    """Captures by id, in the order given, with their sender and device."""
    if not ids:
        return []
    rows = db.session.scalars(
        sa.select(Capture)
        .options(
            so.joinedload(Capture.user),
            so.joinedload(Capture.device),
            so.joinedload(Capture.endpoint),
        )
        .where(Capture.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def newest_first(
    filters: Filters, access: Access, before: int | None, limit: int
) -> tuple[list[Capture], int | None]:
    """One page, newest first, and the id to ask for the next (older) page."""
    where = _conditions(filters)
    ids = _ids(access, where, True, limit + 1, filters.q, below=before or None)
    older = ids[limit - 1] if len(ids) > limit else None
    return _load(ids[:limit]), older


def oldest_first_after(filters: Filters, access: Access, after: int, limit: int) -> list[Capture]:
    return _load(_ids(access, _conditions(filters), False, limit, filters.q, above=after))


def neighbour(
    access: Access, capture_id: int, newer: bool, *where, filters: Filters | None = None
) -> int | None:
    """The id of the next visible capture after (newer) or before `capture_id`,
    among those the list's `filters` and search show."""
    where = [*where, *_conditions(filters)] if filters else list(where)
    q = filters.q if filters else ""
    if newer:
        ids = _ids(access, where, False, 1, q, above=capture_id)
    else:
        ids = _ids(access, where, True, 1, q, below=capture_id)
    return ids[0] if ids else None


def labels_in_use(access: Access, window: int = 1000) -> list[str]:
    """Labels among the newest captures the viewer may see (bounded work)."""
    ids = _ids(access, [], True, window)
    if not ids:
        return []
    query = sa.select(Capture.label).where(Capture.id.in_(ids), Capture.label.is_not(None))
    return sorted(set(db.session.scalars(query)))
