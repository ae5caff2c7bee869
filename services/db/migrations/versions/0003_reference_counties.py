"""Reference data: Texas counties (RRC code, name, district, polygon) and the state outline.

Revision ID: 0003_reference_counties
Revises: 0002_workspace_tables
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

from services.reference.counties import COUNTIES
from services.reference.polygons import county_shapes

revision = "0003_reference_counties"
down_revision = "0002_workspace_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE ref_counties (
      code text PRIMARY KEY,
      fips text,
      name text NOT NULL,
      district text,
      offshore boolean NOT NULL DEFAULT false,
      geom geometry(MultiPolygon, 4326)
    );
    CREATE INDEX ref_counties_geom_idx ON ref_counties USING gist (geom);
    CREATE TABLE ref_texas (id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), geom geometry(MultiPolygon, 4326) NOT NULL);
    """)
    shapes = dict(county_shapes())
    missing = [c.code for c in COUNTIES.values() if not c.offshore and c.code not in shapes]
    if missing:
        raise RuntimeError(f"county polygons missing for codes {missing}")
    conn = op.get_bind()
    conn.execute(
        sa.text("INSERT INTO ref_counties (code, fips, name, district, offshore, geom) VALUES "
                "(:code, :fips, :name, :district, :offshore, "
                "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(CAST(:gj AS text)), 4326)))"),
        [{"code": c.code, "fips": None if c.offshore else c.fips, "name": c.name, "district": c.district,
          "offshore": c.offshore, "gj": shapes.get(c.code)} for c in COUNTIES.values()],
    )
    op.execute("INSERT INTO ref_texas (geom) SELECT ST_Multi(ST_Union(geom)) FROM ref_counties WHERE geom IS NOT NULL")
    op.execute("GRANT SELECT ON ref_counties, ref_texas TO permitwatch_app; "
               "REVOKE INSERT, UPDATE, DELETE ON ref_counties, ref_texas FROM permitwatch_app")


def downgrade() -> None:
    op.execute("DROP TABLE ref_texas, ref_counties")
