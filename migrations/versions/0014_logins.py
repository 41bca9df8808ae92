"""logins: one row per logged-in browser, instead of one token per account

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 13:20:00

Logging out ends that browser's login only. Existing cookies carried the
account's token, which goes: everyone logs in once more.
Plain CREATE TABLE and DROP COLUMN, no batch mode (see 0003).
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

RANDOM_TOKEN = {
    'sqlite': "lower(hex(randomblob(32)))",
    'postgresql': "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')",
}


def upgrade():
    op.create_table(
        'logins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
    )
    op.create_index('ix_logins_user_id', 'logins', ['user_id'])
    op.drop_column('users', 'session_token')


def downgrade():
    dialect = op.get_context().dialect.name
    op.add_column('users', sa.Column('session_token', sa.String(length=64), nullable=False,
                                      server_default=''))
    op.execute(f"UPDATE users SET session_token = {RANDOM_TOKEN[dialect]}")
    if dialect != 'sqlite':
        op.alter_column('users', 'session_token', server_default=None)
    op.drop_index('ix_logins_user_id', table_name='logins')
    op.drop_table('logins')
