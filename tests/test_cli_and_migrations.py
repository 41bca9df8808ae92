"""Operator commands and the migrations, on each database kind."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from demo_app.extensions import db
from demo_app.models import User, is_search_index

from .conftest import empty_database, make_app


def test_users_create_and_list(runner, app):
    result = runner.invoke(
        args=["users", "create", "Ops@Example.com", "--password", "longenough1", "--admin"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin ops@example.com" in result.output
    result = runner.invoke(
        args=["users", "create", "user@example.com", "--password", "longenough2"]
    )
    assert "Created user user@example.com" in result.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "ops@example.com\tadmin" in listing and "user@example.com\tuser" in listing
    with app.app_context():
        ops = db.session.scalar(sa.select(User).where(User.email == "ops@example.com"))
        assert ops.is_admin and ops.check_password("longenough1")


def test_users_create_refuses_bad_input(runner):
    assert (
        runner.invoke(args=["users", "create", "a@example.com", "--password", "short"]).exit_code
        == 1
    )
    runner.invoke(args=["users", "create", "a@example.com", "--password", "longenough"])
    result = runner.invoke(args=["users", "create", "A@example.com", "--password", "longenough"])
    assert result.exit_code == 1 and "already exists" in result.output


def test_users_list_empty(runner):
    assert "No accounts yet" in runner.invoke(args=["users", "list"]).output


def test_no_default_credentials(client, app):
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_migrations_apply_on_empty_database(app):
    """The Alembic history builds the same tables the models describe."""
    with app.app_context():
        engine = db.engine
        empty_database()
        upgrade()
        inspector = sa.inspect(engine)
        tables = set(inspector.get_table_names())
        assert set(db.metadata.tables) <= tables
        assert "alembic_version" in tables
        for name, table in db.metadata.tables.items():
            columns = {c["name"] for c in inspector.get_columns(name)}
            assert {c.name for c in table.columns} == columns, name
        # the schema is usable, not just present
        db.session.add(User(email="m@example.com", password_hash="x"))
        db.session.commit()


def test_migrations_match_models(app):
    """No model change without a migration: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with app.app_context():
        engine = db.engine
        empty_database()
        upgrade()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": _not_search_index})
            diff = compare_metadata(context, db.metadata)
        assert diff == []


def _not_search_index(name, type_, parent_names) -> bool:
    # made by hand (demo_app/models.py, migration 0009), as migrations/env.py says
    return not is_search_index(name)


def test_make_app_on_fresh_instance_folder(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/fresh.db", tmp_path)
    with app.app_context():
        upgrade()
        assert "users" in sa.inspect(db.engine).get_table_names()


def _seed_before_session_tokens() -> None:
    """Two accounts and a device link, written as revision 0002 knew them."""
    with db.engine.begin() as conn:
        for user_id in (1, 2):
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, password_hash, is_admin, created_at) "
                    "VALUES (:id, :email, 'x', false, '2026-01-01')"
                ),
                {"id": user_id, "email": f"u{user_id}@example.com"},
            )
        conn.execute(
            sa.text(
                "INSERT INTO devices (id, subscription_id, first_seen, last_seen) "
                "VALUES (1, 'sub', '2026-01-01', '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO user_devices (user_id, device_id, learnt_via, last_via, "
                "first_seen, last_seen) VALUES (1, 1, 'page', 'page', '2026-01-01', '2026-01-01')"
            )
        )


def _count(table: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_session_token_migration_gives_existing_accounts_random_tokens(app):
    with app.app_context():
        empty_database()
        upgrade(revision="0002")
        _seed_before_session_tokens()
        upgrade(revision="0003_session_token")
        with db.engine.connect() as conn:
            tokens = conn.execute(sa.text("SELECT session_token FROM users")).scalars().all()
        assert len(tokens) == 2 and len(set(tokens)) == 2
        assert all(len(token) == 64 and int(token, 16) for token in tokens)
        assert _count("user_devices") == 1  # adding the column touched no other table
        upgrade()  # 0014 drops it again for per-browser logins
        assert _count("users") == 2 and _count("user_devices") == 1
        downgrade(revision="0002")
        assert _count("users") == 2 and _count("user_devices") == 1


def test_onesignal_id_rename_keeps_every_link_and_value(app):
    """0005 renames the column in place: no link is lost (a table copy would
    cascade-delete them on SQLite) and the stored user ids move with it. It
    forgets the `subscribed` that iOS registration POSTs wrote (always true)."""
    links = [
        # (user, platform, last_via, subscribed) -> subscribed after 0005
        (1, "ios", "registration", True, None),
        (2, "ios", "page", True, True),
        (3, "android", "registration", True, True),
        (4, "ios", "registration", False, False),
    ]
    with app.app_context():
        empty_database()
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO devices (id, subscription_id, first_seen, last_seen) "
                    "VALUES (1, 'sub', '2026-01-01', '2026-01-01')"
                )
            )
            for user_id, platform, via, subscribed, _ in links:
                conn.execute(
                    sa.text(
                        "INSERT INTO users (id, email, password_hash, is_admin, created_at, "
                        "session_token) VALUES (:id, :email, 'x', false, '2026-01-01', 't')"
                    ),
                    {"id": user_id, "email": f"u{user_id}@example.com"},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO user_devices (user_id, device_id, learnt_via, last_via, "
                        "first_seen, last_seen, onesignal_user_id, platform, subscribed) VALUES "
                        "(:user, 1, :via, :via, '2026-01-01', '2026-01-01', :os_id, :platform, "
                        ":subscribed)"
                    ),
                    {
                        "user": user_id,
                        "via": via,
                        "os_id": f"user-id-{user_id}",
                        "platform": platform,
                        "subscribed": subscribed,
                    },  # fmt: skip
                )
        upgrade(revision="0005")
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT user_id, onesignal_id, subscribed FROM user_devices ORDER BY 1")
            ).all()
        assert [(r[0], r[1], None if r[2] is None else bool(r[2])) for r in rows] == [
            (user_id, f"user-id-{user_id}", after) for user_id, *_, after in links
        ]
        assert _count("devices") == 1
        downgrade(revision="0004")
        with db.engine.connect() as conn:
            back = conn.execute(sa.text("SELECT onesignal_user_id FROM user_devices ORDER BY 1"))
            assert back.scalars().all() == [f"user-id-{u}" for u, *_ in links]
