"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from demo_app.extensions import db


@contextlib.contextmanager
def captures_table_away(app):
    """The captures table is gone while inside: the receiver's INSERT fails
    as it would with a database failing mid-write."""

    def rename(old, new):
        with app.app_context():
            db.session.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))
            db.session.commit()

    rename("captures", "captures_away")
    try:
        yield
    finally:
        rename("captures_away", "captures")
