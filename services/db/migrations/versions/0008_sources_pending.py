"""The RRC shares by themselves, and filings pending approval: runs that are history
(backfills, first loads, old snapshots: recorded, never notified), the change types of a
filing's life (filed, approved, left_pending), and rules that ask for filings.

Revision ID: 0008_sources_pending
Revises: 0007_accounts_receipts
Create Date: 2026-11-29
"""
from alembic import op

revision = "0008_sources_pending"
down_revision = "0007_accounts_receipts"
branch_labels = None
depends_on = None

TYPES = "'new', 'amended', 'status_changed', 'location_changed', 'spudded', 'corrected'"


def upgrade() -> None:
    op.execute(f"""
      ALTER TABLE ingestion_runs ADD COLUMN history boolean NOT NULL DEFAULT false;
      ALTER TABLE permit_changes DROP CONSTRAINT permit_changes_change_type_check;
      ALTER TABLE permit_changes ADD CONSTRAINT permit_changes_change_type_check
        CHECK (change_type IN ({TYPES}, 'filed', 'approved', 'left_pending'));
      ALTER TABLE alert_rules ADD COLUMN notify_on_filings boolean NOT NULL DEFAULT false;
      -- A filing and its approved permit share the RRC status number.
      CREATE INDEX permits_status_no_idx ON permits (source_permit_no);
    """)


def downgrade() -> None:
    op.execute(f"""
      DROP INDEX permits_status_no_idx;
      ALTER TABLE alert_rules DROP COLUMN notify_on_filings;
      DELETE FROM permit_changes WHERE change_type IN ('filed', 'approved', 'left_pending');
      ALTER TABLE permit_changes DROP CONSTRAINT permit_changes_change_type_check;
      ALTER TABLE permit_changes ADD CONSTRAINT permit_changes_change_type_check CHECK (change_type IN ({TYPES}));
      ALTER TABLE ingestion_runs DROP COLUMN history;
    """)
