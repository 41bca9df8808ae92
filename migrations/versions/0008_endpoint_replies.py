"""custom replies of receiver endpoints, and the reply each capture got

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:00:00

Plain ADD COLUMNs: batch mode would drop and copy the tables (see 0004).
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('endpoints', sa.Column('reply_status', sa.Integer(), nullable=True))
    op.add_column('endpoints', sa.Column('reply_content_type', sa.String(length=100), nullable=True))
    op.add_column('endpoints', sa.Column('reply_body', sa.Text(), nullable=True))
    op.add_column('endpoints', sa.Column('reply_delay_ms', sa.Integer(), nullable=False,
                                         server_default='0'))
    op.add_column('captures', sa.Column('reply', sa.JSON(), nullable=True))


def downgrade():
    op.execute("ALTER TABLE captures DROP COLUMN reply")
    for column in ('reply_delay_ms', 'reply_body', 'reply_content_type', 'reply_status'):
        op.execute(f"ALTER TABLE endpoints DROP COLUMN {column}")
