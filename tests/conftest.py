"""Fixtures in the style of the Flask tutorial: a fresh app and database per test.

Every test that takes `app` (or `client`, `auth`, ...) runs twice: on SQLite and
on PostgreSQL (TEST_DATABASE_URL, default the machine's local `test` database).
Without PostgreSQL those runs skip with a reason, unless REQUIRE_POSTGRES=1
(as in CI), where they fail instead.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa

from demo_app import create_app
from demo_app.accounts import create_user
from demo_app.extensions import db

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"


def _postgres_problem() -> str | None:
    from demo_app.config import normalise_database_url

    try:
        engine = sa.create_engine(
            normalise_database_url(PG_URL), connect_args={"connect_timeout": 3}
        )
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL not reachable at {PG_URL}: {type(error).__name__}"
    return None


_PG_PROBLEM: list = []


def postgres_or_skip() -> str:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_problem())
    problem = _PG_PROBLEM[0]
    if problem:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(problem + " (REQUIRE_POSTGRES=1)")
        pytest.skip(problem)
    return PG_URL


def database_url(kind: str, tmp_path) -> str:
    if kind == "postgresql":
        return postgres_or_skip()
    return f"sqlite:///{tmp_path / 'test.db'}"


# Whether the PostgreSQL schema built by `reset_schema` still stands: it is
# built once a session, then emptied between tests (TRUNCATE is much cheaper
# than DROP SCHEMA plus create_all). A test that drops or migrates the schema
# calls `empty_database()`, and the next test builds it afresh.
_PG_SCHEMA = {"ready": False}


def empty_database() -> None:
    """Drop every table (in an app context), Alembic's included on PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        _PG_SCHEMA["ready"] = False
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()


def _truncate_all() -> bool:
    """Empty every table of the PostgreSQL schema built earlier; False if it
    is not as built (a test changed it), so it must be built again."""
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    except sa.exc.SQLAlchemyError:
        return False
    return True


def reset_schema(app) -> None:
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and _PG_SCHEMA["ready"] and _truncate_all():
            return
        empty_database()
        db.create_all()
        _PG_SCHEMA["ready"] = db.engine.dialect.name == "postgresql"


def make_app(url: str, tmp_path, **overrides):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "ONESIGNAL_APP_ID": "",
        "ONESIGNAL_API_KEY": "",
        "RUN_WORKER": False,
        # the test client's host; links are built from it, never from Host
        "SITE_URL": "http://localhost",
        # A cheap hash: the production method costs ~100 ms a password, and
        # the suite makes hundreds. test_auth.py checks the production default.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    settings.update(overrides)
    return create_app(settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request):
    return request.param


@pytest.fixture
def app_settings():
    """Override in a test module to change settings for every test there."""
    return {}


@pytest.fixture
def app(db_kind, tmp_path, app_settings):
    app = make_app(database_url(db_kind, tmp_path), tmp_path, **app_settings)
    reset_schema(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def standin():
    """A local stand-in for OneSignal's REST API (see tests/standin.py)."""
    from .standin import StandIn

    server = StandIn().start()
    yield server
    server.stop()


@pytest.fixture
def backend():
    """A backend to forward to (see tests/backend.py)."""
    from .backend import Backend

    server = Backend()
    yield server
    server.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    def __init__(self, app, client):
        self._app = app
        self._client = client

    def create(self, email="alice@example.com", password=PASSWORD, admin=False):
        with self._app.app_context():
            user = create_user(email, password, admin=admin)
            return user.id

    def token(self) -> str:
        return csrf_from(self._client.get("/login").get_data(as_text=True))

    def login(self, email="alice@example.com", password=PASSWORD, remember=False, next=""):
        data = {"email": email, "password": password, "csrf_token": self.token(), "next": next}
        if remember:
            data["remember"] = "y"
        return self._client.post("/login", data=data)

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.token()})

    def endpoint(self, owner="alice@example.com", name="QA", members=()) -> str:
        """A private receiver endpoint of `owner`, shared with `members`; its path."""
        from demo_app.accounts import find_by_email
        from demo_app.endpoints import service

        with self._app.app_context():
            endpoint = service.create(find_by_email(owner), name)
            for email in members:
                service.accept(endpoint.id, service.share(endpoint, email).id)
            return f"/r/{endpoint.token}"

    def post_json(self, url, payload, **kwargs):
        headers = {"X-CSRFToken": self.token(), **kwargs.pop("headers", {})}
        return self._client.post(url, json=payload, headers=headers, **kwargs)


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)
