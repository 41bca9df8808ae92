"""The application factory: read top to bottom it is the site's table of contents."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config
from .extensions import csrf, db, login_manager, migrate
from .ids import IdConverter

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    if test_config is None:
        from dotenv import load_dotenv

        load_dotenv(PROJECT_ROOT / ".env")
    app.json.sort_keys = False
    # "/register//x" must reach the receiver (and be recorded), not be redirected.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    # An id in a path beyond what an id column holds is a 404, not a database error.
    app.url_map.converters["int"] = IdConverter
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_template_filters(app)
    register_errorhandlers(app)
    register_commands(app)
    register_hooks(app)
    wrap_wsgi(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    if test_config and test_config.get("INSTANCE_PATH"):
        app.instance_path = test_config["INSTANCE_PATH"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI="sqlite:///" + str(Path(app.instance_path) / "demo.db"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        # Sized for the registration receiver, which checks its own (smaller,
        # configurable) limit and records what it refuses; see receiver/.
        MAX_CONTENT_LENGTH=None,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
    )
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config["SITE_URL"], app.config["TRUSTED_HOSTS"] = config.site_settings(
        app.config.get("SITE_URL", ""), app.config.get("TRUSTED_HOSTS")
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.secret_key_for(app.instance_path)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("CAPTURE_LOG"):
        app.config["CAPTURE_LOG"] = str(Path(app.instance_path) / "captures.jsonl")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        # Writers wait up to 30 s for the lock instead of failing at once.
        options.setdefault("connect_args", {"timeout": 30})
    else:
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_recycle", int(os.environ.get("DB_POOL_RECYCLE", 1800)))
        options.setdefault("pool_size", int(os.environ.get("DB_POOL_SIZE", 5)))
        options.setdefault("max_overflow", int(os.environ.get("DB_MAX_OVERFLOW", 10)))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def wrap_wsgi(app: Flask) -> None:
    """Proxy headers are settled before anything reads them."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from . import database

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .auth import bp as auth_bp
    from .devices import bp as devices_bp
    from .endpoints import bp as endpoints_bp
    from .inspector import bp as inspector_bp
    from .main import bp as main_bp
    from .onesignal import bp as onesignal_bp
    from .push import bp as push_bp
    from .receiver import bp as receiver_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(receiver_bp)
    app.register_blueprint(inspector_bp)
    app.register_blueprint(endpoints_bp)
    app.register_blueprint(onesignal_bp)
    app.register_blueprint(devices_bp)
    app.register_blueprint(push_bp)


def register_template_filters(app: Flask) -> None:
    from . import display

    display.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from . import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)


def register_hooks(app: Flask) -> None:
    from . import security

    security.init_app(app)
    if app.config["RUN_WORKER"] and not app.testing:
        from .jobs import start_in_background

        # Started by the first request, not here: `flask db upgrade` and other
        # commands build the app too and must not start a runner.
        @app.before_request
        def start_job_runner():
            start_in_background(app)
