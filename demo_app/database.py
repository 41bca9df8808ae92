"""Engine set-up that depends on the database kind."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from .extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers go on while one writer writes; busy_timeout makes a
    # second writer wait rather than fail with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)


def insert_ignore(model, values: dict, index_elements: list[str]) -> None:
    """INSERT that quietly does nothing when the unique key exists (both engines
    speak ON CONFLICT DO NOTHING), so concurrent first sightings never fail."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(model).values(**values).on_conflict_do_nothing(index_elements=index_elements)
    )
