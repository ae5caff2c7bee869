"""Wells: one row per API number, derived from the permits that carry it (spud, well
status, completion, surface and bottom-hole locations, its permits), recomputed by
ingestion for the API numbers a run touched.

Revision ID: 0012_wells
Revises: 0011_new_acreage_rules
Create Date: 2026-11-29
"""
from alembic import op

revision = "0012_wells"
down_revision = "0011_new_acreage_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from services.permits.wells import WELL_SQL

    op.execute(f"""
      DROP TABLE wells;
      CREATE TABLE wells (
        api_number text PRIMARY KEY,
        operator_id uuid REFERENCES operators(id),
        lease_name text, well_number text, county_code text, county text, district text,
        geom geometry(Point, 4326), bhl_geom geometry(MultiPoint, 4326),
        spud_date date, well_status text, completion_date date,
        first_issued date, last_issued date,
        permits integer NOT NULL,
        status_numbers text[] NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX wells_operator_idx ON wells (operator_id);
      CREATE INDEX wells_geom_idx ON wells USING gist (geom);
      INSERT INTO wells {WELL_SQL} GROUP BY c.api_number;
      GRANT SELECT ON wells TO permitwatch_app, permitwatch_worker;
    """)


def downgrade() -> None:
    op.execute("""
      DROP TABLE wells;
      CREATE TABLE wells (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        source_well_id text,
        operator_id uuid REFERENCES operators(id),
        api text,
        geom geometry(Point, 4326),
        spud_date date,
        status text,
        attributes jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX wells_source_key ON wells (source_well_id) WHERE source_well_id IS NOT NULL;
      CREATE INDEX wells_api_idx ON wells (api);
      CREATE INDEX wells_spud_idx ON wells (spud_date DESC);
      CREATE INDEX wells_geom_idx ON wells USING gist (geom);
    """)
