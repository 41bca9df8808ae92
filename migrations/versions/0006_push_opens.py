"""push opens: the page a push opens, its open token, and the opens recorded

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 10:00:00

Plain ADD COLUMN / CREATE TABLE, no batch mode: on SQLite batch mode drops and
copies the table, and with foreign keys on, dropping a table that other tables
reference deletes their rows. Nothing here touches user_devices, so it applies
the same after 0005's rename.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('push_log', sa.Column('page_url', sa.String(length=2048), nullable=True))
    op.add_column('push_log', sa.Column('open_token', sa.String(length=64), nullable=True))
    op.create_index('ix_push_log_open_token', 'push_log', ['open_token'], unique=True)
    op.create_table('push_opens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('push_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('seconds_after', sa.Float(), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('how', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['push_id'], ['push_log.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_push_opens_push_id', 'push_opens', ['push_id'], unique=False)


def downgrade():
    op.drop_index('ix_push_opens_push_id', table_name='push_opens')
    op.drop_table('push_opens')
    op.drop_index('ix_push_log_open_token', table_name='push_log')
    # Plain ALTER TABLE (SQLite 3.35+), not batch mode: see the note above.
    op.execute("ALTER TABLE push_log DROP COLUMN open_token")
    op.execute("ALTER TABLE push_log DROP COLUMN page_url")
