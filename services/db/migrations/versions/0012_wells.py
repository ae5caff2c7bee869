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


# The wells as this revision derived them (completion dates read from each version's JSON;
# later revisions keep them on permits_current). A migration keeps its own SQL.
_NEWEST = "ORDER BY c.issued_date DESC NULLS LAST, c.effective_at DESC"
WELL_SQL = f"""
SELECT c.api_number,
       (array_agg(c.operator_id {_NEWEST}))[1], (array_agg(c.lease_name {_NEWEST}))[1], (array_agg(c.well_number {_NEWEST}))[1],
       (array_agg(c.county_code {_NEWEST}))[1], (array_agg(c.county {_NEWEST}))[1], (array_agg(c.district {_NEWEST}))[1],
       (array_agg(c.geom {_NEWEST}) FILTER (WHERE c.geom IS NOT NULL))[1],
       (array_agg(c.bhl_geom {_NEWEST}) FILTER (WHERE c.bhl_geom IS NOT NULL))[1],
       min(c.spud_date), (array_agg(c.well_status {_NEWEST}) FILTER (WHERE c.well_status IS NOT NULL))[1],
       max((SELECT max(to_date(f->>'completion_date', 'YYYYMMDD')) FROM permit_versions v,
                   jsonb_array_elements(CASE WHEN jsonb_typeof(v.attributes->'fields') = 'array' THEN v.attributes->'fields' ELSE '[]' END) f
            WHERE v.id = c.version_id AND v.source_seen_at = c.source_seen_at AND f->>'completion_date' ~ '^[0-9]{{8}}$')),
       min(c.issued_date), max(c.issued_date), count(*), array_agg(c.status_number ORDER BY c.issued_date NULLS LAST, c.status_number), now()
FROM permits_current c WHERE c.api_number IS NOT NULL
"""


def upgrade() -> None:
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
