"""Private receiver endpoints and who may see which capture.

A capture is visible to:
- the account whose cookies sent it;
- the owner of the endpoint it was sent to, and the people it is shared with;
- admins.
Everything else (another tester's captures, the anonymous traffic of the
shared `/register` URL) is invisible: pages and the API answer 404, lists and
exports leave it out. The functions here are the only place that rule lives.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ..accounts import find_by_email
from ..display import HIDDEN
from ..extensions import db
from ..models import Capture, Endpoint, EndpointMember, User, utcnow
from ..receiver import forward
from ..receiver.store import delete_captures

TOKEN_BYTES = 18  # 24 URL-safe characters, 144 random bits
MAX_ENDPOINTS = 20
MAX_MEMBERS = 50


class EndpointError(ValueError):
    pass


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def by_token(token: str) -> Endpoint | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Endpoint).where(Endpoint.token == token))


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if HIDDEN.search(name):
        # teammates read this name: nothing that hides or reorders text
        raise EndpointError("A name cannot hold control, bidi or invisible characters.")
    if not name:
        raise EndpointError("Give the endpoint a name, e.g. “Android build 42”.")
    if len(name) > 80:
        raise EndpointError("A name has at most 80 characters.")
    return name


def create(owner: User, name: str) -> Endpoint:
    owned = db.session.scalar(
        sa.select(sa.func.count()).select_from(Endpoint).where(Endpoint.owner_id == owner.id)
    )
    if owned >= MAX_ENDPOINTS:
        raise EndpointError(f"You have {MAX_ENDPOINTS} endpoints already: delete one first.")
    endpoint = Endpoint(owner_id=owner.id, name=_clean_name(name), token=new_token())
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def rename(endpoint: Endpoint, name: str) -> None:
    endpoint.name = _clean_name(name)
    db.session.commit()


def new_url(endpoint: Endpoint) -> None:
    """A new token: the old URL stops receiving (answered 404) at once."""
    endpoint.token = new_token()
    db.session.commit()


NO_BODY_STATUSES = (204, 205, 304)


def set_reply(endpoint: Endpoint, status: int, content_type: str, body: str,
              delay_ms: int) -> None:  # fmt: skip
    """Answer the app's POSTs to `endpoint` with this reply from now on."""
    if status in NO_BODY_STATUSES and body:
        raise EndpointError(f"A {status} reply has no body: leave the body empty.")
    endpoint.reply_status = status
    endpoint.reply_content_type = content_type.strip()
    endpoint.reply_body = body
    endpoint.reply_delay_ms = delay_ms
    db.session.commit()


def clear_reply(endpoint: Endpoint) -> None:
    """Back to the receiver's own JSON answer."""
    endpoint.reply_status = endpoint.reply_content_type = endpoint.reply_body = None
    endpoint.reply_delay_ms = 0
    db.session.commit()


def set_forward(endpoint: Endpoint, url: str, answer: str) -> None:
    """Send each capture of `endpoint` on to `url` too, from now on."""
    problem = forward.problem_with(url, current_app.config["FORWARD_ALLOW_PRIVATE"])
    if problem:
        raise EndpointError(problem)
    endpoint.forward_url, endpoint.forward_answer = url, answer
    db.session.commit()


def stop_forwarding(endpoint: Endpoint) -> None:
    endpoint.forward_url, endpoint.forward_answer = None, "site"
    db.session.commit()


def capture_count(endpoint: Endpoint) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Capture).where(Capture.endpoint_id == endpoint.id)
    )


def clear_captures(endpoint: Endpoint) -> int:
    """Delete every capture of `endpoint` (for good: the capture log never
    brings them back). Returns how many went."""
    removed = delete_captures(Capture.endpoint_id == endpoint.id)
    db.session.commit()
    return removed


def delete(endpoint: Endpoint) -> int:
    """Delete the endpoint and its captures. Returns how many captures went."""
    removed = delete_captures(Capture.endpoint_id == endpoint.id)
    db.session.delete(endpoint)
    db.session.commit()
    return removed


def share(endpoint: Endpoint, email: str) -> User:
    """Invite the account that has `email`: they see the endpoint's captures
    once they accept. Only its owner can ask, and a failed ask is counted by
    the caller's throttle."""
    user = find_by_email(email or "")
    if user is None:
        raise EndpointError(
            "No account uses that email. Ask your teammate to sign up first, then share again."
        )
    if user.id == endpoint.owner_id:
        raise EndpointError("That is you: you own this endpoint.")
    if any(m.user_id == user.id for m in endpoint.members):
        raise EndpointError(f"{user.email} is invited already.")
    if len(endpoint.members) >= MAX_MEMBERS:
        raise EndpointError(f"An endpoint can be shared with at most {MAX_MEMBERS} people.")
    endpoint.members.append(EndpointMember(user_id=user.id))
    db.session.commit()
    return user


def invitations_of(user_id: int) -> list[EndpointMember]:
    """Shares waiting for `user_id`'s answer, with their endpoint and owner."""
    return db.session.scalars(
        sa.select(EndpointMember)
        .where(EndpointMember.user_id == user_id, EndpointMember.accepted_at.is_(None))
        .options(sa.orm.joinedload(EndpointMember.endpoint).joinedload(Endpoint.owner))
    ).all()


def accept(endpoint_id: int, user_id: int) -> Endpoint | None:
    """Accept an invitation; the endpoint, or None when there is none."""
    member = db.session.get(EndpointMember, (endpoint_id, user_id))
    if member is None or member.accepted_at is not None:
        return None
    member.accepted_at = utcnow()
    db.session.commit()
    return member.endpoint


def decline(endpoint_id: int, user_id: int) -> bool:
    """Turn down an invitation (a pending one only)."""
    removed = db.session.execute(
        sa.delete(EndpointMember).where(
            EndpointMember.endpoint_id == endpoint_id,
            EndpointMember.user_id == user_id,
            EndpointMember.accepted_at.is_(None),
        )
    ).rowcount
    db.session.commit()
    return removed > 0


def unshare(endpoint: Endpoint, user_id: int) -> bool:
    """Remove a member; also how a member leaves an endpoint shared with them."""
    removed = db.session.execute(
        sa.delete(EndpointMember).where(
            EndpointMember.endpoint_id == endpoint.id, EndpointMember.user_id == user_id
        )
    ).rowcount
    db.session.commit()
    return removed > 0


@dataclass
class Access:
    """What one viewer may see: everything (admin), or their own captures plus
    those of the endpoints they own or are members of."""

    user_id: int
    admin: bool
    endpoint_ids: tuple[int, ...]

    def scopes(self) -> list:
        """WHERE clauses whose union is what the viewer may see; [None] for all.

        Kept apart rather than OR-ed, so each one runs on its own (column, id)
        index and a page of the newest rows costs the same at any table size."""
        if self.admin:
            return [None]
        return [Capture.user_id == self.user_id] + [
            Capture.endpoint_id == endpoint_id for endpoint_id in self.endpoint_ids
        ]

    def can_see(self, capture: Capture) -> bool:
        return (
            self.admin
            or capture.user_id == self.user_id
            or (capture.endpoint_id is not None and capture.endpoint_id in self.endpoint_ids)
        )


def access_for(user: User) -> Access:
    return Access(user.id, bool(user.is_admin), tuple(endpoint_ids_of(user.id)))


def endpoint_ids_of(user_id: int) -> list[int]:
    """Ids of the endpoints `user_id` owns or is a member of."""
    owned = sa.select(Endpoint.id).where(Endpoint.owner_id == user_id)
    shared = sa.select(EndpointMember.endpoint_id).where(
        EndpointMember.user_id == user_id, EndpointMember.accepted_at.is_not(None)
    )
    return sorted(db.session.scalars(sa.union(owned, shared)))


def endpoints_of(user_id: int) -> list[Endpoint]:
    """The endpoints a user owns or is a member of, owned first, by name."""
    ids = endpoint_ids_of(user_id)
    if not ids:
        return []
    found = db.session.scalars(
        sa.select(Endpoint)
        .where(Endpoint.id.in_(ids))
        .options(sa.orm.selectinload(Endpoint.members).joinedload(EndpointMember.user),
                 sa.orm.joinedload(Endpoint.owner))
    ).all()  # fmt: skip
    return sorted(found, key=lambda e: (e.owner_id != user_id, e.name.lower(), e.id))


def visible_endpoint(endpoint_id: int, user: User) -> Endpoint | None:
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is None:
        return None
    if user.is_admin or endpoint.owner_id == user.id:
        return endpoint
    if any(m.user_id == user.id and m.accepted_at for m in endpoint.members):
        return endpoint
    return None
