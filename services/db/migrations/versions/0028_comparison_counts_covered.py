"""A comparison ranks operators from counts alone and reads value lists only for the ranked
ones: the place's indexes on `operator_stats_monthly` and `operator_stats_daily` carry the
counts (and the month-to-date counts), so ranking a county or a district reads no table rows
but the ranked operators' (District 7C, a year to July 14 at 1,000,000 permits: 434 daily rows
read with their lists before, the 188 of the ranked operators after).

Revision ID: 0028_comparison_counts_covered
Revises: 0027_stretch_keys_covered
Create Date: 2026-11-30
"""
from alembic import op

revision = "0028_comparison_counts_covered"
down_revision = "0027_stretch_keys_covered"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      DROP INDEX operator_stats_daily_county_idx;
      DROP INDEX operator_stats_daily_district_idx;
      DROP INDEX operator_stats_monthly_county_idx;
      DROP INDEX operator_stats_monthly_district_idx;
      CREATE INDEX operator_stats_daily_county_idx ON operator_stats_daily (county_code, issued_date)
        INCLUDE (operator_id, mtd_permits, mtd_horizontal, mtd_spudded);
      CREATE INDEX operator_stats_daily_district_idx ON operator_stats_daily (district, issued_date)
        INCLUDE (operator_id, county_code, mtd_permits, mtd_horizontal, mtd_spudded);
      CREATE INDEX operator_stats_monthly_county_idx ON operator_stats_monthly (county_code, month)
        INCLUDE (operator_id, permits, horizontal, spudded);
      CREATE INDEX operator_stats_monthly_district_idx ON operator_stats_monthly (district, month)
        INCLUDE (operator_id, county_code, permits, horizontal, spudded);
      ANALYZE operator_stats_daily;
      ANALYZE operator_stats_monthly;
    """)


def downgrade() -> None:
    op.execute("""
      DROP INDEX operator_stats_daily_county_idx;
      DROP INDEX operator_stats_daily_district_idx;
      DROP INDEX operator_stats_monthly_county_idx;
      DROP INDEX operator_stats_monthly_district_idx;
      CREATE INDEX operator_stats_daily_county_idx ON operator_stats_daily (county_code, issued_date) INCLUDE (operator_id);
      CREATE INDEX operator_stats_daily_district_idx ON operator_stats_daily (district, issued_date) INCLUDE (operator_id, county_code);
      CREATE INDEX operator_stats_monthly_county_idx ON operator_stats_monthly (county_code, month);
      CREATE INDEX operator_stats_monthly_district_idx ON operator_stats_monthly (district, month);
    """)
