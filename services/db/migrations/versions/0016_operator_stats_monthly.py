"""The comparison aggregate by month: per operator, county and month, the permits, how many
are horizontal or spudded, and the depths and days to spud as distinct values with counts.
A comparison reads whole months here and only the months its period cuts from the daily
rows, so a county-year's medians read a few thousand value counts, not every permit.

Revision ID: 0016_operator_stats_monthly
Revises: 0015_groups_everywhere
Create Date: 2026-11-29
"""
from alembic import op

from services.operators.stats import MONTH_SQL

revision = "0016_operator_stats_monthly"
down_revision = "0015_groups_everywhere"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"""
      CREATE TABLE operator_stats_monthly (
        operator_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
        county_code text NOT NULL,
        month date NOT NULL CHECK (extract(day FROM month) = 1),
        district text,
        permits integer NOT NULL,
        horizontal integer NOT NULL,
        depth_values integer[] NOT NULL,   -- distinct total depths, ascending
        depth_counts integer[] NOT NULL,   -- how many permits state each
        spudded integer NOT NULL,
        spud_values integer[] NOT NULL,    -- distinct days from issue to spud, ascending
        spud_counts integer[] NOT NULL,
        PRIMARY KEY (operator_id, county_code, month),
        CHECK (cardinality(depth_values) = cardinality(depth_counts) AND cardinality(spud_values) = cardinality(spud_counts))
      );
      CREATE INDEX operator_stats_monthly_county_idx ON operator_stats_monthly (county_code, month);
      CREATE INDEX operator_stats_monthly_district_idx ON operator_stats_monthly (district, month);
      CREATE TEMP TABLE tmp_stat_months AS
        SELECT DISTINCT operator_id, county_code, date_trunc('month', issued_date)::date AS month FROM operator_stats_daily;
      INSERT INTO operator_stats_monthly {MONTH_SQL};
      DROP TABLE tmp_stat_months;
      GRANT SELECT ON operator_stats_monthly TO permitwatch_app, permitwatch_worker;
    """)


def downgrade() -> None:
    op.execute("DROP TABLE operator_stats_monthly")
