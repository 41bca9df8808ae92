"""endpoint shares are invitations until accepted

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 13:00:00

Existing shares count as accepted. A plain ADD COLUMN: batch mode would drop
and copy the table (see 0004).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('endpoint_members', sa.Column('accepted_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE endpoint_members SET accepted_at = added_at")


def downgrade():
    op.execute("DELETE FROM endpoint_members WHERE accepted_at IS NULL")
    op.execute("ALTER TABLE endpoint_members DROP COLUMN accepted_at")
