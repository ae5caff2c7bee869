"""Month to date on each daily comparison row: per operator and county, the permits,
horizontal ones, spuds, and depths and days to spud as value counts from the 1st of the month
through that day. A comparison reads a stretch of a month its period cuts as two rows per
operator (the month to date at its end minus that at the day before its start), not every
day's depths.

Revision ID: 0018_month_to_date
Revises: 0017_exports
Create Date: 2026-11-29
"""
from alembic import op

from services.operators.stats import MTD_SQL

revision = "0018_month_to_date"
down_revision = "0017_exports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"""
      ALTER TABLE operator_stats_daily
        ADD COLUMN mtd_permits integer NOT NULL DEFAULT 0,
        ADD COLUMN mtd_horizontal integer NOT NULL DEFAULT 0,
        ADD COLUMN mtd_spudded integer NOT NULL DEFAULT 0,
        ADD COLUMN mtd_depth_values integer[] NOT NULL DEFAULT '{{}}',
        ADD COLUMN mtd_depth_counts integer[] NOT NULL DEFAULT '{{}}',
        ADD COLUMN mtd_spud_values integer[] NOT NULL DEFAULT '{{}}',
        ADD COLUMN mtd_spud_counts integer[] NOT NULL DEFAULT '{{}}';
      CREATE TEMP TABLE tmp_stat_months AS
        SELECT DISTINCT operator_id, county_code, date_trunc('month', issued_date)::date AS month FROM operator_stats_daily;
      {MTD_SQL};
      DROP TABLE tmp_stat_months;
    """)


def downgrade() -> None:
    op.execute("""
      ALTER TABLE operator_stats_daily DROP COLUMN mtd_permits, DROP COLUMN mtd_horizontal, DROP COLUMN mtd_spudded,
        DROP COLUMN mtd_depth_values, DROP COLUMN mtd_depth_counts, DROP COLUMN mtd_spud_values, DROP COLUMN mtd_spud_counts
    """)
