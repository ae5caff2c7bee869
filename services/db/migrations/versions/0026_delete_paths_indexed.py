"""Indexes for the two foreign keys that a mass delete checks row by row: a digest's members
point at it through `notification_outbox.digest_id`, and an in-app notification at its event
through `notifications.alert_event_id`. Without them every deleted outbox row (a rule's or a
workspace's removal, a retention sweep) scanned the whole outbox: deleting the alert
benchmark's 63,200 deliveries took 370 s. Both are partial: most rows hold NULL there, so
the inserts the evaluator makes do not pay for them.

Revision ID: 0026_delete_paths_indexed
Revises: 0025_product_metrics
Create Date: 2026-11-30
"""
from alembic import op

revision = "0026_delete_paths_indexed"
down_revision = "0025_product_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      CREATE INDEX notification_outbox_digest_idx ON notification_outbox (digest_id) WHERE digest_id IS NOT NULL;
      CREATE INDEX notifications_event_idx ON notifications (alert_event_id) WHERE alert_event_id IS NOT NULL;
    """)


def downgrade() -> None:
    op.execute("DROP INDEX notifications_event_idx; DROP INDEX notification_outbox_digest_idx;")
