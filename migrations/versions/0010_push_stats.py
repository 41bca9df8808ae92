"""push stats: OneSignal's delivery counts of a push and when they were asked

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:00:00

Plain ADD COLUMN, no batch mode (see 0006).
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('push_log', sa.Column('stats', sa.JSON(), nullable=True))
    op.add_column('push_log', sa.Column('stats_checked_at', sa.DateTime(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE push_log DROP COLUMN stats_checked_at")
    op.execute("ALTER TABLE push_log DROP COLUMN stats")
