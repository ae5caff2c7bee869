"""Cheaper alert event writes: an evaluation batch inserts one event per match (63,200 for
the benchmark's 7,308 changes against 10,000 areas), and each foreign key costs a lookup per
row. Events keep the keys that cascade (workspace, rule); the permit and the change they
point at are public records that are never deleted, so those two checks protected nothing
and cost about 1.3 s per batch. No query reads events by permit version.

Revision ID: 0009_alert_event_writes
Revises: 0008_sources_pending
Create Date: 2026-11-29
"""
from alembic import op

revision = "0009_alert_event_writes"
down_revision = "0008_sources_pending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      ALTER TABLE alert_events DROP CONSTRAINT alert_events_permit_id_fkey,
                               DROP CONSTRAINT alert_events_permit_change_id_fkey;
      DROP INDEX alert_events_version_idx;
    """)


def downgrade() -> None:
    op.execute("""
      CREATE INDEX alert_events_version_idx ON alert_events (permit_version_id);
      ALTER TABLE alert_events ADD CONSTRAINT alert_events_permit_id_fkey FOREIGN KEY (permit_id) REFERENCES permits(id),
                               ADD CONSTRAINT alert_events_permit_change_id_fkey FOREIGN KEY (permit_change_id) REFERENCES permit_changes(id);
    """)
