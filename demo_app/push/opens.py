"""Did the push arrive? Its page, opened inside the app, says so.

Every push carries the page it opens as `data.targetUrl`, with a per-push
token in the query (`?opened=<token>`). When a page of this site is loaded
with a valid token, or the app's pushOpened listener hands the page that URL,
the open is recorded. The token is a capability: unguessable
(secrets.token_urlsafe), one per push, counting at most PUSH_OPEN_LIMIT opens
for PUSH_OPEN_DAYS days. Any other token is ignored without an error.
"""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app, flash, redirect, request
from flask_login import current_user

from ..extensions import db
from ..links import base_url
from ..models import PushLog, PushOpen, utcnow

PARAM = "opened"
MAX_TOKEN = 64
USER_AGENT_MAX = 255


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_own(url: str) -> bool:
    """True for an absolute URL of this site (SITE_URL's scheme, host and path)."""
    site, parts = urlsplit(base_url() + "/"), urlsplit(url or "")
    return (
        (parts.scheme, parts.netloc.lower()) == (site.scheme, site.netloc.lower())
        and parts.path.startswith(site.path)
    )  # fmt: skip


def with_token(page_url: str, token: str) -> str:
    """`page_url` with `?opened=<token>` added to its query."""
    parts = urlsplit(page_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    return urlunsplit(parts._replace(query=urlencode([*query, (PARAM, token)])))


def token_in(url) -> str | None:
    """The open token in a URL of this site, else None."""
    if not isinstance(url, str) or len(url) > 4096 or not is_own(url):
        return None
    found = dict(parse_qsl(urlsplit(url).query)).get(PARAM)
    return found or None


def record(token, how: str) -> tuple[PushLog, PushOpen] | None:
    """Record an open of the push whose token this is; None (and nothing
    recorded) for a token that is unknown, expired or used up."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        return None
    push = db.session.scalar(sa.select(PushLog).where(PushLog.open_token == token))
    if push is None:
        return None
    now = utcnow()
    if now - push.created_at > dt.timedelta(days=current_app.config["PUSH_OPEN_DAYS"]):
        return None
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(PushOpen).where(PushOpen.push_id == push.id)
    )
    if count >= current_app.config["PUSH_OPEN_LIMIT"]:
        return None
    agent = request.headers.get("User-Agent", "")[:USER_AGENT_MAX] or None
    # One tap, one open: the app reports a tap both by loading the push's
    # link and through its pushOpened listener, from the same web view. The
    # second report of the same push from the same device (its user agent)
    # within a moment joins the first one.
    twin = db.session.scalar(
        sa.select(PushOpen).where(
            PushOpen.push_id == push.id, PushOpen.user_agent == agent,
            PushOpen.how.in_([h for h in HOW_WORDS if h not in (how, BOTH)]),
            PushOpen.opened_at >= now - SAME_TAP,
        ).limit(1)
    )  # fmt: skip
    if twin is not None:
        twin.how = BOTH
        db.session.commit()
        return push, twin
    opened = PushOpen(
        push_id=push.id, opened_at=now, how=how, user_agent=agent,
        seconds_after=round((now - push.created_at).total_seconds(), 1),
        user_id=current_user.id if current_user.is_authenticated else None,
    )  # fmt: skip
    db.session.add(opened)
    db.session.commit()
    return push, opened


def title_of(push: PushLog) -> str:
    headings = (push.request_body or {}).get("headings") or {}
    return str(headings.get("en") or push.kind)


def greeting(push: PushLog, opened: PushOpen) -> str:
    return (
        f"You opened “{title_of(push)}” (push #{push.id}), "
        f"{_duration(opened.seconds_after or 0)} after it was sent."
    )


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def from_url():
    """before_request: a GET carrying `?opened=<token>` records the open and
    goes on to the same page of this site without the token. An invalid token
    is ignored: the page answers as usual."""
    if request.method != "GET" or PARAM not in request.args:
        return None
    if request.routing_exception is not None or any(ord(c) < 32 for c in request.path):
        # a refused Host or an unroutable path: not a page of this site
        return None
    found = record(request.args.get(PARAM), "url")
    if found is None:
        return None
    flash(greeting(*found), "success")
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != PARAM])
    # SITE_URL + this request's own path: never another site, whatever the
    # path looks like ("//elsewhere" stays a path here).
    return redirect(base_url() + request.path + (f"?{query}" if query else ""))


def summary(push_ids: list[int]) -> dict[int, tuple[dt.datetime, int, str]]:
    """{push id: (first open, number of opens, how they were learnt)} for the
    pushes that were opened."""
    if not push_ids:
        return {}
    rows = db.session.execute(
        sa.select(PushOpen.push_id, PushOpen.how, sa.func.min(PushOpen.opened_at), sa.func.count())
        .where(PushOpen.push_id.in_(push_ids)).group_by(PushOpen.push_id, PushOpen.how)
    ).all()  # fmt: skip
    found: dict[int, list] = {}
    for push_id, how, first, count in rows:
        entry = found.setdefault(push_id, [first, 0, []])
        entry[0] = min(entry[0], first)
        entry[1] += count
        entry[2].append(f"{count} by {HOW_WORDS.get(how, how)}")
    return {k: (first, count, ", ".join(sorted(ways))) for k, (first, count, ways) in found.items()}


BOTH = "url+listener"
SAME_TAP = dt.timedelta(minutes=2)
HOW_WORDS = {"url": "its link", "listener": "the app's pushOpened listener",
             BOTH: "its link and the listener (one tap)"}  # fmt: skip
