"""private receiver endpoints, device facts per account, tombstones, rate counters

Revision ID: 0004
Revises: 0003_session_token
Create Date: 2026-11-29 11:40:00

Device facts (model, token, ...) move from `devices` to each account's
`user_devices` link, so one account's (or an anonymous) request never changes
what another account is shown. Existing links get the facts their device had.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003_session_token'
branch_labels = None
depends_on = None

FACTS = [
    ('onesignal_user_id', sa.String(length=64)),
    ('push_token', sa.Text()),
    ('platform', sa.String(length=32)),
    ('model', sa.String(length=128)),
    ('os_version', sa.String(length=64)),
    ('app_version', sa.String(length=64)),
    ('installation_id', sa.String(length=128)),
    ('app_id', sa.String(length=255)),
    ('subscribed', sa.Boolean()),
    ('external_id', sa.String(length=128)),
    ('info', sa.JSON()),
]


def upgrade():
    op.create_table('endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endpoints_owner_id'), ['owner_id'], unique=False)

    op.create_table('endpoint_members',
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('endpoint_id', 'user_id')
    )
    with op.batch_alter_table('endpoint_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endpoint_members_user_id'), ['user_id'], unique=False)

    op.create_table('capture_tombstones',
    sa.Column('log_key', sa.String(length=64), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('log_key')
    )
    with op.batch_alter_table('capture_tombstones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capture_tombstones_removed_at'), ['removed_at'], unique=False)

    op.create_table('rate_counters',
    sa.Column('bucket', sa.String(length=255), nullable=False),
    sa.Column('window_start', sa.BigInteger(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('bucket')
    )

    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endpoint_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_captures_endpoint_id_id', ['endpoint_id', 'id'], unique=False)
        batch_op.create_foreign_key(
            'fk_captures_endpoint_id', 'endpoints', ['endpoint_id'], ['id'], ondelete='CASCADE'
        )

    with op.batch_alter_table('user_devices', schema=None) as batch_op:
        for name, type_ in FACTS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    for name, _ in FACTS:
        op.execute(
            f"UPDATE user_devices SET {name} = "
            f"(SELECT devices.{name} FROM devices WHERE devices.id = user_devices.device_id)"
        )
    # Plain ALTER TABLE (SQLite 3.35+ has DROP COLUMN): batch mode would drop
    # and copy `devices`, and with foreign keys on, SQLite's DROP TABLE deletes
    # every row first, cascading to user_devices.
    for name, _ in FACTS:
        op.execute(f"ALTER TABLE devices DROP COLUMN {name}")


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        for name, type_ in FACTS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    for name, _ in FACTS:
        # any one account's view of the device; they were one row before
        op.execute(
            f"UPDATE devices SET {name} = (SELECT user_devices.{name} FROM user_devices "
            f"WHERE user_devices.device_id = devices.id ORDER BY user_devices.last_seen DESC "
            f"LIMIT 1)"
        )
    for name, _ in FACTS:
        op.execute(f"ALTER TABLE user_devices DROP COLUMN {name}")

    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.drop_constraint('fk_captures_endpoint_id', type_='foreignkey')
        batch_op.drop_index('ix_captures_endpoint_id_id')
        batch_op.drop_column('endpoint_id')

    op.drop_table('rate_counters')
    with op.batch_alter_table('capture_tombstones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capture_tombstones_removed_at'))
    op.drop_table('capture_tombstones')
    with op.batch_alter_table('endpoint_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endpoint_members_user_id'))
    op.drop_table('endpoint_members')
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_endpoints_owner_id'))
    op.drop_table('endpoints')
