"""Site-wide behaviour: health, error pages, headers, settings, the secret key."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from demo_app import create_app
from demo_app.config import from_environment, normalise_database_url, secret_key_for
from demo_app.extensions import db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:9/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_error_pages_use_site_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Push Lab" in page and "There is nothing at this address" in page


def test_api_errors_are_json(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json["status"] == 404


def test_unexpected_error_is_a_500_page_without_details(app):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "secret detail" not in page


def test_security_headers_on_pages(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_make_no_external_request(client):
    page = client.get("/login").get_data(as_text=True)
    for marker in ("http://", "https://", "//cdn", "<script>"):
        assert marker not in page, marker


def test_generated_secret_key_survives_restart(tmp_path):
    settings = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(dict(settings)).config["SECRET_KEY"]
    second = create_app(dict(settings)).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").read_text().strip() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    other = create_app(
        {"INSTANCE_PATH": str(tmp_path / "other"), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    assert other.config["SECRET_KEY"] != first


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_secret_key_file_is_private_from_the_start(tmp_path, monkeypatch, umask_022):
    """Created 0600, not tightened once the key is already in it: with chmod
    doing nothing, the file must still be the owner's alone."""
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(Path, "chmod", lambda *args, **kwargs: None)
    key = secret_key_for(str(tmp_path))
    assert _mode(tmp_path / "secret_key") == 0o600
    assert (tmp_path / "secret_key").read_text() == key


def test_concurrent_starts_agree_on_one_key(tmp_path):
    starts = 8
    barrier = threading.Barrier(starts)

    def start(_):
        barrier.wait()
        return secret_key_for(str(tmp_path))

    with ThreadPoolExecutor(starts) as pool:
        keys = set(pool.map(start, range(starts)))
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left


def test_sqlite_database_and_wal_files_are_private(tmp_path, umask_022):
    from demo_app.extensions import db
    from demo_app.models import User

    path = tmp_path / "fresh" / "site.db"
    path.parent.mkdir()
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        }
    )
    with app.app_context():
        db.create_all()
        db.session.add(User(email="a@example.com", password_hash="x"))
        db.session.commit()
        assert Path(f"{path}-wal").exists()  # the pooled connection keeps it
        for name in (path, f"{path}-wal", f"{path}-shm"):
            assert _mode(name) == 0o600, name
        db.engine.dispose()


def test_existing_sqlite_files_are_made_private(tmp_path, umask_022):
    path = tmp_path / "old.db"
    for name in (path, Path(f"{path}-wal")):
        name.touch()
        name.chmod(0o644)
    create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        }
    )
    assert _mode(path) == 0o600 and _mode(f"{path}-wal") == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_settings_from_environment():
    settings = from_environment(
        {"ALLOW_SIGNUP": "no", "DATABASE_URL": "postgres://u@h/d", "REGISTER_MAX_BYTES": "10"}
    )
    assert settings["ALLOW_SIGNUP"] is False
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/d"
    assert settings["REGISTER_MAX_BYTES"] == 10
    assert settings["ONESIGNAL_API_URL"] == "https://api.onesignal.com"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert settings["LOGIN_LIMIT_PER_PAIR"] == 5 and settings["LOGIN_LIMIT_PER_ADDRESS"] == 50


def test_login_limit_keeps_its_old_name():
    assert from_environment({"LOGIN_LIMIT_PER_MINUTE": "7"})["LOGIN_LIMIT_PER_PAIR"] == 7
    both = {"LOGIN_LIMIT_PER_MINUTE": "7", "LOGIN_LIMIT_PER_PAIR": "3"}
    assert from_environment(both)["LOGIN_LIMIT_PER_PAIR"] == 3


def test_sqlite_uses_wal_and_busy_timeout(tmp_path):
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"}
    )
    from demo_app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 30000


@pytest.mark.parametrize("path", ["/", "/login", "/signup"])
def test_public_pages_render(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("app_settings", [{"PASSWORD_HASH_METHOD": "scrypt"}])
def test_passwords_are_hashed_with_scrypt_by_default(app, auth, client):
    """The tests hash cheaply (conftest); the site's default is Werkzeug's scrypt."""
    from demo_app.models import User

    assert from_environment({})["PASSWORD_HASH_METHOD"] == "scrypt"
    auth.create()
    with app.app_context():
        stored = db.session.scalar(sa.select(User.password_hash))
    assert stored.startswith("scrypt:32768:8:1$")
    assert auth.login().status_code == 302 and client.get("/profile").status_code == 200
