"""rename user_devices.onesignal_user_id to onesignal_id

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00

The column holds v5's `oneSignalId`, the OneSignal *user* id. Its old name was
one letter away from the wire key `oneSignalUserId`, which is the legacy
*player* (subscription) id, a different thing.

Also: the iOS app's registration POST says `oneSignalSubscribed: true`
whatever OneSignal says (tests/corpus/FINDINGS.md, section d), and the site
believed it. A `subscribed` last written by one is made unknown (NULL); the
next info the app hands the OneSignal page sets it again. Not undone by the
downgrade.
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.25+ renames in place). Batch
# mode would drop and copy user_devices, and with foreign keys on, SQLite's
# DROP TABLE deletes every row first.
def upgrade():
    op.execute("ALTER TABLE user_devices RENAME COLUMN onesignal_user_id TO onesignal_id")
    op.execute(
        "UPDATE user_devices SET subscribed = NULL "
        "WHERE platform = 'ios' AND last_via = 'registration' AND subscribed = TRUE"
    )


def downgrade():
    op.execute("ALTER TABLE user_devices RENAME COLUMN onesignal_id TO onesignal_user_id")
