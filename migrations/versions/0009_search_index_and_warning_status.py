"""text search index; "warning" status for captures answered 200 with problems

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00

SQLite: the FTS5 trigram table, its high-water mark and delete trigger, then
every stored capture indexed once (so the first search after the upgrade is
not the one that indexes them). PostgreSQL: the pg_trgm extension and a GIN
trigram index on captures.search_text. The same objects db.create_all makes
(demo_app/models.py). Then stored captures that were "ok" with problems
other than harmless notes become "warning", as the receiver now records them.
"""
import json

from alembic import op
import sqlalchemy as sa



# As demo_app/models.py makes them for db.create_all (frozen here).
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
POSTGRES_SEARCH_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
POSTGRES_SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_captures_search_trgm ON captures "
    "USING gin (search_text gin_trgm_ops)"
)
# Registration notes that leave a capture "ok" (demo_app/receiver/parsing.py
# NOTE_CODES): every iOS POST's subscribed flag, old builds' missing token,
# Android's consent flag.
NOTES = (
    "Whether this iPhone can receive pushes is unknown here:",
    "No push token in this registration POST: app builds from before mid-2017",
    "This app has not recorded privacy consent (Android reports",
)


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _problems(value) -> list:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for statement in SQLITE_SEARCH_INDEX:
            op.execute(statement)
        op.execute(
            "INSERT INTO captures_fts (rowid, search_text) SELECT id, search_text FROM captures"
        )
        op.execute(
            "UPDATE captures_fts_state SET last_id = (SELECT coalesce(max(id), 0) FROM captures)"
        )
    elif conn.dialect.name == 'postgresql':
        op.execute(POSTGRES_SEARCH_EXTENSION)
        op.execute(POSTGRES_SEARCH_INDEX)
    # JSON columns are text on SQLite and json on PostgreSQL: read them in
    # Python, in id order, a chunk at a time, and update by id.
    after = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, problems FROM captures WHERE status = 'ok' AND id > :after"
                " ORDER BY id LIMIT 5000"
            ),
            {"after": after},
        ).all()
        if not rows:
            break
        ids = [
            row.id
            for row in rows
            if any(not str(p).startswith(NOTES) for p in _problems(row.problems))
        ]
        if ids:
            conn.execute(
                sa.text("UPDATE captures SET status = 'warning' WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            )
        after = rows[-1].id


def downgrade():
    op.execute("UPDATE captures SET status = 'ok' WHERE status = 'warning'")
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for statement in SQLITE_SEARCH_INDEX_DROP:
            op.execute(statement)
    elif conn.dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_captures_search_trgm")
