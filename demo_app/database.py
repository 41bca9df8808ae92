"""Engine set-up that depends on the database kind."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading

import sqlalchemy as sa
from flask import Flask, current_app
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


SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def _private_sqlite_file(app: Flask, path: str | None) -> None:
    """The database holds password hashes and raw cookies: owner only.

    SQLite creates its -wal and -shm files with the database file's mode, so
    the file is created 0600 before the first connection; files made earlier
    (by older releases, 0644) are tightened.
    """
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    with contextlib.suppress(FileNotFoundError):  # no folder: SQLite will say so
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (path + suffix for suffix in SQLITE_FILES):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            continue
        except OSError as error:
            app.logger.warning("could not make %s private: %s", name, error)


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _private_sqlite_file(app, engine.url.database)
            event.listen(engine, "connect", _sqlite_pragmas)
    app.extensions["write_lock_path"] = os.path.join(app.instance_path, "write.lock")


_lock_fds: dict[str, int] = {}
_thread_locks: dict[str, threading.Lock] = {}


@contextlib.contextmanager
def write_lock():
    """Serialise the receiver's writes to a SQLite file across every worker
    process and thread.

    SQLite lets one writer in at a time; a second one waits in SQLite's busy
    handler, which sleeps in steps of 1 ms and more. An flock() waiter is woken
    the moment the lock is free, so queued writers lose no time. flock() is
    held per open file, so threads of one process take a lock of their own
    first. PostgreSQL needs no such thing: this does nothing there.
    """
    if db.engine.dialect.name != "sqlite":
        yield
        return
    path = current_app.extensions["write_lock_path"]
    with _thread_locks.setdefault(path, threading.Lock()):
        fd = _lock_fds.get(path)
        if fd is None:
            fd = _lock_fds[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


@functools.cache
def _upsert_statement(table: sa.Table, key: tuple, keep_old: tuple, returning: str | None):
    """INSERT ... ON CONFLICT (key) DO UPDATE, written once per table in the SQL
    that SQLite and PostgreSQL both speak (SQLAlchemy's own ON CONFLICT
    construct is recompiled on every call). Columns in `keep_old` keep the
    stored value when the new one is NULL; first_seen and learnt_via never change."""
    columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
    names = [c.name for c in columns if not (c.primary_key and c.name == "id")]
    updates = []
    for name in names:
        if name in key or name in ("first_seen", "learnt_via"):
            continue
        new = f"excluded.{name}"
        updates.append(
            f"{name} = COALESCE({new}, {table.name}.{name})"
            if name in keep_old
            else f"{name} = {new}"
        )
    placeholders = ", ".join(":" + n for n in names)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(updates)}"
    )
    if returning:
        sql += f" RETURNING {returning}"
    binds = [sa.bindparam(c.name, type_=c.type) for c in table.columns if c.name in names]
    statement = sa.text(sql).bindparams(*binds)
    # typed result columns let SQLAlchemy cache the result metadata
    return statement.columns(table.c[returning]) if returning else statement


def upsert(conn, model, values: dict, key: list[str], keep_old=(), returning: str | None = None):
    """One-statement insert-or-update on `conn` (a SQLAlchemy connection), so
    two first sightings of one row never fail and a repeat costs one round
    trip. `values` names every column but an autoincrement id."""
    statement = _upsert_statement(model.__table__, tuple(key), tuple(keep_old), returning)
    result = conn.execute(statement, values)
    return result.scalar_one() if returning else None
