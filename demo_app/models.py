"""The data model.

One name for one idea: OneSignal renamed the *player id* (`oneSignalUserId` in
the legacy bridge) to *subscription id* (`subscription.id` in the v5 bridge).
"Player id" and "subscription id" mean the same device id; this code calls it
`subscription_id` everywhere, and pages say "subscription (player) id" on
first mention, "subscription id" after. The v5 `oneSignalId` is something
else, the OneSignal *user* id (several devices can share one): `onesignal_id`.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utcnow() -> dt.datetime:
    """Naive UTC, the same on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_login_token() -> str:
    return secrets.token_hex(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    # What the app sets on the device with externalUserId.set()/login();
    # OneSignal then keeps the link between the user and the device.
    external_id: so.Mapped[str | None] = so.mapped_column(sa.String(128), unique=True)
    is_admin: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    last_seen_at: so.Mapped[dt.datetime | None] = so.mapped_column(index=True)
    # A guest: an account made in one click for a private endpoint, with a
    # made-up email and no password anyone knows, deleted with its captures
    # after this time unless its browser signs up (accounts.py). None: a
    # real account.
    guest_until: so.Mapped[dt.datetime | None] = so.mapped_column(index=True)

    device_links: so.Mapped[list[UserDevice]] = so.relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_guest(self) -> bool:
        return self.guest_until is not None

    @property
    def shown_name(self) -> str:
        """How pages name the account: its email, or "a guest" (a guest's
        made-up address says nothing to anybody)."""
        return "a guest" if self.is_guest else self.email

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # The token of the browser login this request runs under (a Login row),
    # set by auth.sessions.start_login and security.user_for_id; not a column.
    login_token = None

    def get_id(self) -> str:
        """Flask-Login's "alternative id", kept in the session and the
        remember-me cookie: "<user id>:<login token>", accepted by
        security.user_for_id() while that browser's login exists."""
        return f"{self.id}:{self.login_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Device(db.Model):
    """A device as OneSignal knows it, keyed by its subscription (player) id.

    Only the id lives here. What a device reported about itself (model, token,
    app version, ...) is kept per account on its `UserDevice` link: a request
    from one account, or an anonymous one, never changes what another account
    is shown about a device they share.
    """

    __tablename__ = "devices"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    subscription_id: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    first_seen: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    last_seen: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)

    user_links: so.Mapped[list[UserDevice]] = so.relationship(
        back_populates="device", cascade="all, delete-orphan"
    )


class Login(db.Model):
    """One logged-in browser of an account: its session and remember-me
    cookies carry the token. Logging out deletes this browser's row; "log out
    everywhere" and a new password delete them all."""

    __tablename__ = "logins"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True, default=new_login_token)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)


class UserDevice(db.Model):
    """Which account was seen on which device, and how the site learnt it.

    Many-to-many: a phone can be shared by several accounts and an account
    used on several phones (the seed allows both).
    """

    __tablename__ = "user_devices"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # How the site learnt of the device for this user: "page" (the page's JavaScript
    # posted the info the app handed it) or "registration" (the app's registration
    # POST, sent with the user's cookies)
    learnt_via: so.Mapped[str] = so.mapped_column(sa.String(16))
    # What the device last reported with this account's requests (see Device).
    # onesignal_id is v5's `oneSignalId`, the OneSignal user id, never a device id.
    onesignal_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    push_token: so.Mapped[str | None] = so.mapped_column(sa.Text)
    platform: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    model: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    os_version: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    app_version: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    installation_id: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    app_id: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    subscribed: so.Mapped[bool | None]
    external_id: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    info: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    last_via: so.Mapped[str] = so.mapped_column(sa.String(16))
    first_seen: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    last_seen: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow, index=True)
    # Outcome of the last externalUserId.set()/remove() (or login()/logout())
    # reported by the page for this device: "set", "removed" or "failed".
    external_id_state: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    external_id_value: so.Mapped[str | None] = so.mapped_column(sa.String(128))
    external_id_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    external_id_at: so.Mapped[dt.datetime | None]

    user: so.Mapped[User] = so.relationship(back_populates="device_links")
    device: so.Mapped[Device] = so.relationship(back_populates="user_links")


class Capture(db.Model):
    """One request received by the registration endpoint, kept as sent."""

    __tablename__ = "captures"
    __table_args__ = (
        sa.Index("ix_captures_label_id", "label", "id"),
        sa.Index("ix_captures_status_id", "status", "id"),
        sa.Index("ix_captures_user_id_id", "user_id", "id"),
        sa.Index("ix_captures_platform_id", "platform", "id"),
        sa.Index("ix_captures_endpoint_id_id", "endpoint_id", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(BigId, primary_key=True)
    received_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow, index=True)
    method: so.Mapped[str] = so.mapped_column(sa.String(16))
    path: so.Mapped[str] = so.mapped_column(sa.String(2048))
    label: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    query_string: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    remote_addr: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    content_type: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # [[name, value], ...] in the order received, repeats kept
    headers: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    cookies: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    body: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    body_size: so.Mapped[int] = so.mapped_column(default=0)
    # the JSON document or form fields when the body parsed, else null
    parsed: so.Mapped[dict | list | None] = so.mapped_column(sa.JSON)
    platform: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    # "ok", "warning" (answered 200, with problems), "parse_error",
    # "too_large" or "rejected"
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="ok")
    http_status: so.Mapped[int] = so.mapped_column(default=200)
    problems: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # sha256 of the sender's session cookie, so a viewer can be shown the
    # secrets of captures that their own session made and nobody else's.
    session_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    device_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("devices.id", ondelete="SET NULL")
    )
    # the private receiver endpoint it was sent to; None for /register[/<label>]
    endpoint_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("endpoints.id", ondelete="CASCADE")
    )
    # request id from the JSON-lines log, so importing the log twice adds nothing
    log_key: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    search_text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # the endpoint's custom reply as it was sent: status, content_type, body,
    # delay_ms (and delay_skipped); None when the receiver answered itself
    reply: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    # what the endpoint's backend was sent and answered: the forward, then
    # any replays (receiver/forward.py); None when it forwards nowhere
    forwards: so.Mapped[list | None] = so.mapped_column(sa.JSON)

    user: so.Mapped[User | None] = so.relationship()
    device: so.Mapped[Device | None] = so.relationship()
    endpoint: so.Mapped[Endpoint | None] = so.relationship()


# The text search's index (see demo_app/inspector/search.py). Not ORM tables:
# made with the captures table by these hooks (db.create_all) and by migration
# 0009, so tests and migrated databases have the same objects.
#
# SQLite: an FTS5 trigram table over captures.search_text (external content,
# so the text is not stored twice). The receiver never writes to it: a search
# first indexes the captures above captures_fts_state.last_id, in one INSERT
# ... SELECT, then queries. A trigger removes deleted captures (retention,
# admins, an endpoint's deletion) and keeps last_id at or under the highest
# id, since SQLite may hand a deleted top id out again.
SQLITE_SEARCH_INDEX = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS captures_fts USING fts5("
    "search_text, content='captures', content_rowid='id', tokenize='trigram')",
    "CREATE TABLE IF NOT EXISTS captures_fts_state (last_id INTEGER NOT NULL)",
    "INSERT INTO captures_fts_state (last_id) SELECT 0 "
    "WHERE NOT EXISTS (SELECT 1 FROM captures_fts_state)",
    """CREATE TRIGGER IF NOT EXISTS captures_fts_delete AFTER DELETE ON captures BEGIN
  INSERT INTO captures_fts (captures_fts, rowid, search_text)
    SELECT 'delete', old.id, old.search_text
    WHERE old.id <= (SELECT last_id FROM captures_fts_state);
  UPDATE captures_fts_state SET last_id = (SELECT coalesce(max(id), 0) FROM captures)
    WHERE last_id > (SELECT coalesce(max(id), 0) FROM captures);
END""",
)
SQLITE_SEARCH_INDEX_DROP = (
    "DROP TRIGGER IF EXISTS captures_fts_delete",
    "DROP TABLE IF EXISTS captures_fts",
    "DROP TABLE IF EXISTS captures_fts_state",
)
# PostgreSQL: a GIN trigram index, which PostgreSQL keeps in step by itself
# (GIN's pending list makes an insert's share small).
POSTGRES_SEARCH_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
POSTGRES_SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_captures_search_trgm ON captures "
    "USING gin (search_text gin_trgm_ops)"
)
# Names the schema comparison (Alembic autogenerate, the migration test)
# leaves alone: they are not described by the ORM tables above.
SEARCH_INDEX_NAMES = ("captures_fts", "ix_captures_search_trgm")


def is_search_index(name: str | None) -> bool:
    return bool(name) and name.startswith(SEARCH_INDEX_NAMES)


def _create_search_index(target, connection, **_kw) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_SEARCH_INDEX:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(POSTGRES_SEARCH_INDEX)


def _before_captures(target, connection, **_kw) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(POSTGRES_SEARCH_EXTENSION)


def _drop_search_index(target, connection, **_kw) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_SEARCH_INDEX_DROP:
            connection.exec_driver_sql(statement)


sa.event.listen(Capture.__table__, "before_create", _before_captures)
sa.event.listen(Capture.__table__, "after_create", _create_search_index)
sa.event.listen(Capture.__table__, "before_drop", _drop_search_index)


class PushLog(db.Model):
    """Every attempt to send a push, with the request minus its secrets."""

    __tablename__ = "push_log"
    __table_args__ = (sa.Index("ix_push_log_user_id_id", "user_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(BigId, primary_key=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    target_kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    target: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    request_body: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    outcome: so.Mapped[str] = so.mapped_column(sa.String(32))
    http_status: so.Mapped[int | None]
    notification_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    response: so.Mapped[str | None] = so.mapped_column(sa.Text)
    summary: so.Mapped[str | None] = so.mapped_column(sa.Text)
    duration_ms: so.Mapped[float | None]
    # The page of this site the push opens inside the app (data.targetUrl
    # without its token), and the token that page's link carries: an open
    # learnt from it is recorded as a PushOpen. Unguessable, one per push.
    page_url: so.Mapped[str | None] = so.mapped_column(sa.String(2048))
    open_token: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True, index=True)
    # What OneSignal's View message last answered (successful, failed, ...),
    # and when the site last asked: the rate limit, shared by every host.
    stats: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    stats_checked_at: so.Mapped[dt.datetime | None]


class PushOpen(db.Model):
    """Someone tapped a push and its page opened (or the app's pushOpened
    listener told the page): one row per open, several when several devices
    got the push."""

    __tablename__ = "push_opens"

    id: so.Mapped[int] = so.mapped_column(BigId, primary_key=True)
    push_id: so.Mapped[int] = so.mapped_column(
        BigId, sa.ForeignKey("push_log.id", ondelete="CASCADE"), index=True
    )
    opened_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    seconds_after: so.Mapped[float | None]
    user_agent: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # "url" (the page was loaded with the token) or "listener" (pushOpened)
    how: so.Mapped[str] = so.mapped_column(sa.String(16))


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_recipient_id_id", "recipient_id", "id"),
        sa.Index("ix_messages_sender_id_id", "sender_id", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sender_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    read_at: so.Mapped[dt.datetime | None]

    sender: so.Mapped[User] = so.relationship(foreign_keys=[sender_id])
    recipient: so.Mapped[User] = so.relationship(foreign_keys=[recipient_id])


class Job(db.Model):
    """A queued piece of background work (the delayed "order delivered" push)."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.Index("ix_jobs_status_run_at", "status", "run_at"),
        sa.Index("ix_jobs_user_id_id", "user_id", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    run_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    # "queued", "running", "done" or "failed"
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="queued")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    locked_at: so.Mapped[dt.datetime | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)


class ThrottleHit(db.Model):
    """One counted event (a failed login, a send) for limits shared by all workers."""

    __tablename__ = "throttle_hits"
    __table_args__ = (sa.Index("ix_throttle_hits_key_at", "key", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(BigId, primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(255))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)


class Endpoint(db.Model):
    """A private receiver URL (`/r/<token>`): what is sent to it is seen by its
    owner and the people they share it with, nobody else (admins aside)."""

    __tablename__ = "endpoints"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    owner_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    # the unguessable part of the URL; a capability, so it can be replaced
    token: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    # A custom reply to the app's POSTs (reply_status None: the receiver's own
    # JSON answer), so QA can see how the app handles a failing endpoint.
    reply_status: so.Mapped[int | None]
    reply_content_type: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    reply_body: so.Mapped[str | None] = so.mapped_column(sa.Text)
    reply_delay_ms: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # The owner's backend: each capture is also sent there (receiver/forward.py);
    # forward_answer says what the app gets back, "site" or "backend".
    forward_url: so.Mapped[str | None] = so.mapped_column(sa.String(2048))
    forward_answer: so.Mapped[str] = so.mapped_column(
        sa.String(8), default="site", server_default="site"
    )

    owner: so.Mapped[User] = so.relationship()
    members: so.Mapped[list[EndpointMember]] = so.relationship(
        back_populates="endpoint", cascade="all, delete-orphan"
    )


class EndpointMember(db.Model):
    """A teammate an endpoint is shared with: they see its captures too, once
    they have accepted (nobody can put another person's captures in your
    inspector without your word)."""

    __tablename__ = "endpoint_members"

    endpoint_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    accepted_at: so.Mapped[dt.datetime | None]

    endpoint: so.Mapped[Endpoint] = so.relationship(back_populates="members")
    user: so.Mapped[User] = so.relationship()


class CaptureTombstone(db.Model):
    """The log key of a capture an admin or its endpoint's owner deleted, so
    `captures import-log` never brings it back."""

    __tablename__ = "capture_tombstones"

    log_key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    removed_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow, index=True)


class RateCounter(db.Model):
    """A fixed-window request counter (the receiver's per-address limit): one
    row per key, reset when a new window starts. Counted in the database, so
    every worker and host shares it."""

    __tablename__ = "rate_counters"

    bucket: so.Mapped[str] = so.mapped_column(sa.String(255), primary_key=True)
    window_start: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    hits: so.Mapped[int] = so.mapped_column(default=0)


class OneSignalAnswer(db.Model):
    """OneSignal's last answer to a look-up (View user, identity by
    subscription), per app and id, and when it was asked: a short-lived cache
    shared by every worker and host, so a page opened often asks OneSignal once
    per ONESIGNAL_LOOKUP_INTERVAL (see onesignal/lookups.py)."""

    __tablename__ = "onesignal_answers"

    key: so.Mapped[str] = so.mapped_column(sa.String(255), primary_key=True)
    asked_at: so.Mapped[dt.datetime] = so.mapped_column(default=utcnow)
    answer: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
