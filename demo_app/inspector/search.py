"""The inspector's text search, on a full-text index instead of a scan.

What matches is what always matched: captures whose `search_text` (method,
path, label, query, address, content type, masked headers without cookies,
the first 64 KiB of the body, all lower-cased) holds the search text, case
folded. Only the way there changes:

- PostgreSQL: `search_text LIKE '%text%'` as before; the GIN trigram index
  (pg_trgm, `ix_captures_search_trgm`) answers it.
- SQLite: the FTS5 trigram table `captures_fts` finds the candidates newest
  first (a phrase query is a substring match on trigrams), and each is checked
  with the same LIKE as before, so the results are exactly today's. The
  receiver never touches the index: a search first indexes the captures the
  index has not seen yet (one INSERT ... SELECT of the ids above
  `captures_fts_state.last_id`), then asks it. Deletes are taken out of the
  index by a trigger (see demo_app/models.py).

Search text shorter than three characters (no trigram) scans as before.

Candidates are read in growing chunks, each filtered by visibility and the
other filters, until a page is full: a rare text costs one short index read,
a common one stops in the first chunk. A text common overall but rare among
what the viewer may see falls back to the plain scan below the last chunk
after MAX_CANDIDATES, so no search costs much more than before.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Capture

CHUNKS = (256, 4096, 16384)
# The most captures one search indexes; any more are scanned until later
# searches have indexed them, so no search waits long after a burst.
CATCH_UP_MAX = 50_000
MIN_CHARS = 3

_fts = sa.table("captures_fts", sa.column("rowid"))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like(q: str):
    """Today's condition: the lower-cased text anywhere in search_text."""
    return Capture.search_text.like("%" + _escape_like(q.lower()) + "%", escape="\\")


def uses_index(q: str) -> bool:
    return db.engine.dialect.name == "sqlite" and len(q) >= MIN_CHARS and "\x00" not in q


def catch_up(most: int | None = None) -> int:
    """Index up to `most` captures above the index's high-water mark (SQLite),
    oldest first. One write transaction: the INSERT takes the write lock
    before it reads, so no capture can arrive between it and the new mark.
    Returns how many rows were indexed."""
    most = CATCH_UP_MAX if most is None else most
    with db.engine.begin() as conn:
        behind = conn.exec_driver_sql(
            "SELECT (SELECT coalesce(max(id), 0) FROM captures)"
            " > (SELECT last_id FROM captures_fts_state)"
        ).scalar()
        if not behind:
            return 0
        added = conn.exec_driver_sql(
            "INSERT INTO captures_fts (rowid, search_text) SELECT id, search_text"
            " FROM captures WHERE id > (SELECT last_id FROM captures_fts_state)"
            " ORDER BY id LIMIT ?",
            (most,),
        ).rowcount
        conn.exec_driver_sql(
            "UPDATE captures_fts_state SET last_id = (SELECT max(id) FROM ("
            " SELECT id FROM captures WHERE id > (SELECT last_id FROM captures_fts_state)"
            " ORDER BY id LIMIT ?))",
            (most,),
        )
    return added


def _mark() -> int:
    return db.session.execute(sa.text("SELECT last_id FROM captures_fts_state")).scalar() or 0


def _phrase(q: str) -> str:
    return '"' + q.lower().replace('"', '""') + '"'


def matching_ids(
    q: str,
    run: Callable[[list], list[int]],
    descending: bool,
    limit: int,
    below: int | None = None,
    above: int | None = None,
) -> list[int]:
    """The first `limit` ids, in id order, that `run(extra conditions)` finds
    among the captures holding `q`. `run` applies visibility and the other
    filters; `below` / `above` are the page's id bounds."""
    text = like(q)
    if not uses_index(q):
        return run([text])
    try:
        catch_up()
        mark = _mark()
    except sa.exc.SQLAlchemyError as error:  # locked for 30 s, say: scan as before
        current_app.logger.warning("search index not brought up to date: %s", error)
        db.session.rollback()
        return run([text])
    # Captures above the mark (more than one catch-up's worth arrived at
    # once) are not indexed yet: they are scanned. Newest first they come
    # first; oldest first, last. The index is asked only up to the mark read
    # here (another search may raise it meanwhile).
    tail = run([text, Capture.id > mark])
    if descending and len(tail) >= limit:
        return tail
    if not descending and above is not None and above >= mark:
        return tail
    below = mark + 1 if below is None else min(below, mark + 1)
    wanted = limit - len(tail) if descending else limit
    indexed = _from_index(q, run, descending, wanted, below, above, text)
    return (tail + indexed if descending else indexed + tail)[:limit]


def _from_index(q, run, descending, limit, below: int, above, text) -> list[int]:
    """Matches among the indexed captures, under `below` (at most the mark
    plus one) and over `above`, in id order."""
    found: list[int] = []
    match = sa.text("captures_fts MATCH :phrase").bindparams(phrase=_phrase(q))
    for size in CHUNKS:
        query = sa.select(_fts.c.rowid).where(match)
        if below is not None:
            query = query.where(_fts.c.rowid < below)
        if above is not None:
            query = query.where(_fts.c.rowid > above)
        order = _fts.c.rowid.desc() if descending else _fts.c.rowid.asc()
        chunk = list(db.session.scalars(query.order_by(order).limit(size)))
        if chunk:
            found += run([Capture.id.in_(chunk), text])
            if len(found) >= limit:
                return found[:limit]
            if descending:
                below = chunk[-1]
            else:
                above = chunk[-1]
        if len(chunk) < size:
            return found  # every indexed candidate seen
    # Common overall, rare for this viewer: scan on beyond the last chunk.
    bounds = [Capture.id < below] + ([Capture.id > above] if above is not None else [])
    return (found + run([text, *bounds]))[:limit]
