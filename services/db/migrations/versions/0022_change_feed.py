"""The change feed (`GET /v1/changes`): each permit change carries the id of the transaction
that recorded it. A reader is served only changes of transactions older than every one still
running (the snapshot's xmin), in (transaction, id) order, so a change that commits late can
never land behind a cursor already handed out: no skip, no repeat, across restarts.

Revision ID: 0022_change_feed
Revises: 0021_api_metering
Create Date: 2026-11-29
"""
from alembic import op

revision = "0022_change_feed"
down_revision = "0021_api_metering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      ALTER TABLE permit_changes ADD COLUMN txid xid8;
      UPDATE permit_changes SET txid = '1';  -- recorded before the feed: all long committed, in id order
      ALTER TABLE permit_changes ALTER COLUMN txid SET NOT NULL, ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
      CREATE INDEX permit_changes_feed_idx ON permit_changes (txid, id);
    """)


def downgrade() -> None:
    op.execute("DROP INDEX permit_changes_feed_idx; ALTER TABLE permit_changes DROP COLUMN txid;")
