"""Alerts that follow operators into new ground: a watchlist rule can ask only for a watched
operator's first permit in a county (or in the rule's area) where it had none in the
twelve months before.

Revision ID: 0011_new_acreage_rules
Revises: 0010_operator_intelligence
Create Date: 2026-11-29
"""
from alembic import op

revision = "0011_new_acreage_rules"
down_revision = "0010_operator_intelligence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE alert_rules ADD COLUMN new_acreage_only boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE alert_rules DROP COLUMN new_acreage_only")
