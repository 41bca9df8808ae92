"""session token: a per-account value carried in every login cookie

Revision ID: 0003_session_token
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_session_token'
down_revision = '0002'
branch_labels = None
depends_on = None

# 32 random bytes as 64 hex digits, made by the database for each existing row
# (the same shape as models.new_session_token()).
RANDOM_TOKEN = {
    'sqlite': "lower(hex(randomblob(32)))",
    'postgresql': "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')",
}


def upgrade():
    dialect = op.get_context().dialect.name
    # Added NOT NULL with a constant default, then filled. SQLite adds such a
    # column in place; changing the column afterwards would make batch mode
    # rebuild `users`, and with foreign keys on, dropping the old table would
    # cascade into user_devices, messages and jobs. The empty default is never
    # a valid token (security.user_for_id refuses it).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_token', sa.String(length=64), nullable=False, server_default='')
        )
    op.execute(f"UPDATE users SET session_token = {RANDOM_TOKEN[dialect]}")
    if dialect != 'sqlite':
        op.alter_column('users', 'session_token', server_default=None)


def downgrade():
    # Not batch mode, for the same reason: ALTER TABLE ... DROP COLUMN
    # (SQLite 3.35 and later) leaves the rows of other tables alone.
    op.drop_column('users', 'session_token')
