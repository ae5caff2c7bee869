"""The RRC P-5 organization file as a source of official operator names and status.

Revision ID: 0013_p5_organizations
Revises: 0012_wells
Create Date: 2026-11-29
"""
from alembic import op

revision = "0013_p5_organizations"
down_revision = "0012_wells"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      ALTER TABLE operators ADD COLUMN p5_name text, ADD COLUMN p5_status text, ADD COLUMN p5_organization text,
                            ADD COLUMN p5_date_inactive date, ADD COLUMN p5_seen_at timestamptz;
    """)


def downgrade() -> None:
    op.execute("""ALTER TABLE operators DROP COLUMN p5_name, DROP COLUMN p5_status, DROP COLUMN p5_organization,
                                        DROP COLUMN p5_date_inactive, DROP COLUMN p5_seen_at""")
