"""Every setting of the site, read from the environment (and `.env` when present).

The README has the same table; keep the two in step. Values are read once, when
the app is created, so a test can pass its own mapping to `create_app()`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:
        return default


def _list(value: str | None) -> list[str] | None:
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    return items or None


DEFAULT_SITE_URL = "http://127.0.0.1:5000"


def site_settings(site_url: str, trusted_hosts: list[str] | None) -> tuple[str, list[str] | None]:
    """(SITE_URL, TRUSTED_HOSTS): an unset SITE_URL is `make run`'s address; a
    SITE_URL that is set makes its host the one trusted, unless TRUSTED_HOSTS
    names others."""
    parts = urlsplit(site_url or DEFAULT_SITE_URL)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"SITE_URL must be like https://push.example.com, not {site_url!r}")
    if site_url and trusted_hosts is None:
        trusted_hosts = [parts.hostname]
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}", trusted_hosts


def from_environment(env: os._Environ | dict | None = None) -> dict:
    """Settings taken from the environment; unset ones keep their defaults."""
    env = os.environ if env is None else env
    settings = {
        "ALLOW_SIGNUP": _bool(env.get("ALLOW_SIGNUP"), True),
        # Werkzeug's method string; the default is Werkzeug's own (scrypt).
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "scrypt"),
        "ONESIGNAL_APP_ID": env.get("ONESIGNAL_APP_ID", ""),
        "ONESIGNAL_API_KEY": env.get("ONESIGNAL_API_KEY", ""),
        "ONESIGNAL_API_URL": env.get("ONESIGNAL_API_URL", "https://api.onesignal.com"),
        "ONESIGNAL_TIMEOUT": _float(env.get("ONESIGNAL_TIMEOUT"), 10.0),
        "ONESIGNAL_MAX_RETRIES": _int(env.get("ONESIGNAL_MAX_RETRIES"), 2),
        "PUSH_TARGET": env.get("PUSH_TARGET", "devices"),
        "ORDER_DELAY_SECONDS": _int(env.get("ORDER_DELAY_SECONDS"), 10),
        "SEND_LIMIT_PER_MINUTE": _int(env.get("SEND_LIMIT_PER_MINUTE"), 10),
        # LOGIN_LIMIT_PER_MINUTE is the setting's old name, still read.
        "LOGIN_LIMIT_PER_PAIR": _int(
            env.get("LOGIN_LIMIT_PER_PAIR") or env.get("LOGIN_LIMIT_PER_MINUTE"), 5
        ),
        "LOGIN_LIMIT_PER_ADDRESS": _int(env.get("LOGIN_LIMIT_PER_ADDRESS"), 50),
        "SIGNUP_LIMIT_PER_HOUR": _int(env.get("SIGNUP_LIMIT_PER_HOUR"), 10),
        "GUEST_LIMIT_PER_HOUR": _int(env.get("GUEST_LIMIT_PER_HOUR"), 5),
        "TRUSTED_PROXY_HOPS": _int(env.get("TRUSTED_PROXY_HOPS"), 0),
        "REGISTER_MAX_BYTES": _int(env.get("REGISTER_MAX_BYTES"), 1024 * 1024),
        "CAPTURE_MAX_COUNT": _int(env.get("CAPTURE_MAX_COUNT"), 100_000),
        "CAPTURE_MAX_DAYS": _int(env.get("CAPTURE_MAX_DAYS"), 30),
        "CAPTURE_LOG": env.get("CAPTURE_LOG", ""),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "RUN_WORKER": _bool(env.get("RUN_WORKER"), True),
        "SITE_URL": env.get("SITE_URL", "").strip(),
        "TRUSTED_HOSTS": _list(env.get("TRUSTED_HOSTS")),
        "REGISTER_LIMIT_PER_MINUTE": _int(env.get("REGISTER_LIMIT_PER_MINUTE"), 600),
        # Forwarding captures to an endpoint owner's backend (receiver/forward.py).
        "FORWARD_TIMEOUT": _float(env.get("FORWARD_TIMEOUT"), 10.0),
        "FORWARD_ALLOW_PRIVATE": _bool(env.get("FORWARD_ALLOW_PRIVATE"), False),
        "MESSAGE_LIMIT_PER_MINUTE": _int(env.get("MESSAGE_LIMIT_PER_MINUTE"), 10),
        "ONESIGNAL_DEADLINE": _float(env.get("ONESIGNAL_DEADLINE"), 15.0),
        "CAPTURE_LOG_MAX_BYTES": _int(env.get("CAPTURE_LOG_MAX_BYTES"), 64 * 1024 * 1024),
        # A push's open token counts at most this many opens, for this many days.
        "PUSH_OPEN_LIMIT": _int(env.get("PUSH_OPEN_LIMIT"), 20),
        "PUSH_OPEN_DAYS": _int(env.get("PUSH_OPEN_DAYS"), 7),
        # OneSignal's delivery counts of a push: asked at most once per
        # interval per push, and only while the push is younger than the hours.
        "PUSH_STATS_INTERVAL": _int(env.get("PUSH_STATS_INTERVAL"), 30),
        "PUSH_STATS_HOURS": _int(env.get("PUSH_STATS_HOURS"), 24),
        # OneSignal look-ups (View user, identity): one answer per app and id
        # is reused for this many seconds; each user may ask this often.
        "ONESIGNAL_LOOKUP_INTERVAL": _int(env.get("ONESIGNAL_LOOKUP_INTERVAL"), 30),
        "LOOKUP_LIMIT_PER_MINUTE": _int(env.get("LOOKUP_LIMIT_PER_MINUTE"), 30),
        # Hosts besides SITE_URL's that "send to me" may open on tap.
        "SEND_LINK_HOSTS": [h.lower() for h in _list(env.get("SEND_LINK_HOSTS")) or []],
    }
    if env.get("SECRET_KEY"):
        settings["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])
    return settings


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` spellings hosts hand out and
    use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key_for(instance_path: str) -> str:
    """The key kept in the instance folder, made once on first start.

    Written to a temporary file created 0600 (never readable by others, not
    even for a moment) and then hard-linked into place, which fails if the
    file exists: two workers starting together end up reading one key.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        _write_new_key(path)
    return path.read_text().strip()


def _write_new_key(path: Path) -> None:
    tmp = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
