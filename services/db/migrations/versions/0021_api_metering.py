"""Pro API metering: the flushes of Redis's per-day counts into `api_usage_daily`, by id, so
a flush that dies after its commit is not counted twice.

Revision ID: 0021_api_metering
Revises: 0020_api_keys
Create Date: 2026-11-29
"""
from alembic import op

revision = "0021_api_metering"
down_revision = "0020_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      CREATE TABLE api_usage_flushes (id text PRIMARY KEY, flushed_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX api_usage_flushes_at_idx ON api_usage_flushes (flushed_at);
    """)


def downgrade() -> None:
    op.execute("DROP TABLE api_usage_flushes")
