"""guests: an account made in one click, kept until guest_until

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 12:10:00

Plain ADD COLUMN, no batch mode (see 0006).
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('guest_until', sa.DateTime(), nullable=True))
    op.create_index('ix_users_guest_until', 'users', ['guest_until'])


def downgrade():
    op.drop_index('ix_users_guest_until', table_name='users')
    op.execute("ALTER TABLE users DROP COLUMN guest_until")
