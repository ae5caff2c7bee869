"""A comparison that cuts a month finds, per operator and county, the latest daily row of
each stretch from the place's index alone: the county and district indexes of
`operator_stats_daily` carry the operator (and the district one the county), so that step
reads no table pages (District 7C, a year to July 14 at 1,000,000 permits: the comparison's
query 10.5 ms before, 4.4 ms after).

Revision ID: 0027_stretch_keys_covered
Revises: 0026_delete_paths_indexed
Create Date: 2026-11-30
"""
from alembic import op

revision = "0027_stretch_keys_covered"
down_revision = "0026_delete_paths_indexed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      DROP INDEX operator_stats_daily_county_idx;
      DROP INDEX operator_stats_daily_district_idx;
      CREATE INDEX operator_stats_daily_county_idx ON operator_stats_daily (county_code, issued_date) INCLUDE (operator_id);
      CREATE INDEX operator_stats_daily_district_idx ON operator_stats_daily (district, issued_date) INCLUDE (operator_id, county_code);
    """)


def downgrade() -> None:
    op.execute("""
      DROP INDEX operator_stats_daily_county_idx;
      DROP INDEX operator_stats_daily_district_idx;
      CREATE INDEX operator_stats_daily_county_idx ON operator_stats_daily (county_code, issued_date);
      CREATE INDEX operator_stats_daily_district_idx ON operator_stats_daily (district, issued_date);
    """)
