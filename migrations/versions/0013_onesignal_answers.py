"""onesignal answers: the look-ups' short-lived cache, shared by every host

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'onesignal_answers',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('asked_at', sa.DateTime(), nullable=False),
        sa.Column('answer', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade():
    op.drop_table('onesignal_answers')
