"""forwarding: an endpoint's forward URL and answer choice, a capture's exchanges

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:00:00

Plain ADD COLUMN, no batch mode (see 0006).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('endpoints', sa.Column('forward_url', sa.String(length=2048), nullable=True))
    op.add_column('endpoints', sa.Column('forward_answer', sa.String(length=8),
                                         server_default='site', nullable=False))
    op.add_column('captures', sa.Column('forwards', sa.JSON(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE captures DROP COLUMN forwards")
    op.execute("ALTER TABLE endpoints DROP COLUMN forward_answer")
    op.execute("ALTER TABLE endpoints DROP COLUMN forward_url")
