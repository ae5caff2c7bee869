"""Web app: sessions and one-time tokens, invitations, self-membership policies, AOI shapes,
and what the map tiles read (a Web Mercator copy of each point, a pre-aggregated grid).

Revision ID: 0005_web_app
Revises: 0004_alerting
Create Date: 2026-11-24
"""
from alembic import op

revision = "0005_web_app"
down_revision = "0004_alerting"
branch_labels = None
depends_on = None

APP_ROLE = "permitwatch_app"
OWNER_ROLE = "permitwatch_owner"

# Cells per tile side in the grid: 16 across a 512 px tile is one cell per 32 px.
GRID_CELLS_PER_TILE = 16
# Zooms up to this one draw the grid; deeper zooms draw points (services.permits.tiles).
GRID_MAX_ZOOM = 10
WORLD_M = 40075016.685578488

UPGRADE = f"""
-- Sessions: the cookie carries a random token; only its SHA-256 is stored, so a copy
-- of this table signs nobody in. Users and sessions belong to no workspace.
CREATE TABLE user_sessions (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  workspace_id uuid REFERENCES workspaces(id) ON DELETE SET NULL,  -- the workspace in use
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  ip text,
  user_agent text
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- E-mail verification and password reset links (hashed, single use, expiring).
CREATE TABLE user_tokens (
  token_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);

CREATE TABLE workspace_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'member')),
  token_hash text NOT NULL UNIQUE,
  invited_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX workspace_invitations_ws_idx ON workspace_invitations (workspace_id, created_at DESC);
ALTER TABLE workspace_invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspace_invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_isolation ON workspace_invitations TO {APP_ROLE}
  USING (workspace_id = app_workspace_id()) WITH CHECK (workspace_id = app_workspace_id());
CREATE POLICY owner_maintenance ON workspace_invitations TO {OWNER_ROLE} USING (true) WITH CHECK (true);

-- Whoever holds an invitation's secret may read that one invitation (and the workspace
-- name) before joining; nothing else is reachable without a workspace context.
CREATE FUNCTION invitation_by_token(p_token_hash text)
RETURNS TABLE (id uuid, workspace_id uuid, workspace_name text, email text, role text,
               expires_at timestamptz, accepted_at timestamptz, revoked_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT i.id, i.workspace_id, w.name, i.email, i.role, i.expires_at, i.accepted_at, i.revoked_at
  FROM workspace_invitations i JOIN workspaces w ON w.id = i.workspace_id
  WHERE i.token_hash = p_token_hash
$$;
REVOKE ALL ON FUNCTION invitation_by_token(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION invitation_by_token(text) TO {APP_ROLE};

-- A signed-in user sees their own memberships and those workspaces' names (to list and
-- switch workspaces); every other row still needs that workspace's context.
CREATE POLICY member_self ON workspace_members FOR SELECT TO {APP_ROLE} USING (user_id = app_user_id());
CREATE POLICY member_workspaces ON workspaces FOR SELECT TO {APP_ROLE}
  USING (id IN (SELECT m.workspace_id FROM workspace_members m WHERE m.user_id = app_user_id()));

-- How an AOI was drawn, so it can be edited as drawn (a circle stays a circle).
ALTER TABLE aois ADD COLUMN shape jsonb;
ALTER TABLE aois ADD COLUMN buffer_unit text NOT NULL DEFAULT 'm' CHECK (buffer_unit IN ('m', 'ft', 'mi'));
ALTER TABLE aois ADD COLUMN source text NOT NULL DEFAULT 'drawn'
  CHECK (source IN ('drawn', 'geojson', 'kml', 'shapefile', 'cli'));

-- Tiles: points in Web Mercator, stored once instead of transformed per request.
ALTER TABLE permits_current ADD COLUMN geom_3857 geometry(Point, 3857)
  GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX permits_current_geom_3857_idx ON permits_current USING gist (geom_3857);

-- Low-zoom tiles draw counts per grid cell. A cell at zoom z is 1/{GRID_CELLS_PER_TILE} of a
-- tile side; cells nest, so zooms below {GRID_MAX_ZOOM} are sums of the zoom-{GRID_MAX_ZOOM} cells. Kept by
-- the dimensions the map filters on without an index (the rest, operator and dates,
-- are filtered on permits_current directly).
CREATE MATERIALIZED VIEW permit_grid AS
WITH base AS (
  SELECT floor((ST_X(geom_3857) + {WORLD_M / 2}) / {WORLD_M / (2 ** GRID_MAX_ZOOM * GRID_CELLS_PER_TILE)})::int AS cx,
         floor(({WORLD_M / 2} - ST_Y(geom_3857)) / {WORLD_M / (2 ** GRID_MAX_ZOOM * GRID_CELLS_PER_TILE)})::int AS cy,
         coalesce(county_code, '') AS county_code, coalesce(district, '') AS district,
         coalesce(filing_purpose_code, '') AS filing_purpose_code, coalesce(wellbore_profile, '') AS wellbore_profile,
         coalesce(status, '') AS status,
         count(*)::int AS n, sum(ST_X(geom_3857)) AS sx, sum(ST_Y(geom_3857)) AS sy
  FROM permits_current WHERE geom_3857 IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6, 7
)
SELECT z.level::smallint AS level, b.cx >> ({GRID_MAX_ZOOM} - z.level) AS cx, b.cy >> ({GRID_MAX_ZOOM} - z.level) AS cy,
       b.county_code, b.district, b.filing_purpose_code, b.wellbore_profile, b.status,
       sum(b.n)::int AS n, sum(b.sx) AS sx, sum(b.sy) AS sy
FROM base b CROSS JOIN generate_series(0, {GRID_MAX_ZOOM}) AS z(level)
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
CREATE UNIQUE INDEX permit_grid_key ON permit_grid
  (level, cx, cy, county_code, district, filing_purpose_code, wellbore_profile, status);
GRANT SELECT ON permit_grid TO {APP_ROLE};

-- Ingestion (the app role) refreshes the grid after a run; CONCURRENTLY keeps tiles
-- readable meanwhile. Only the owner may refresh, hence SECURITY DEFINER.
CREATE FUNCTION refresh_permit_grid() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY permit_grid;
END $$;
REVOKE ALL ON FUNCTION refresh_permit_grid() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_permit_grid() TO {APP_ROLE};
"""

DOWNGRADE = """
DROP FUNCTION refresh_permit_grid();
DROP MATERIALIZED VIEW permit_grid;
DROP INDEX permits_current_geom_3857_idx;
ALTER TABLE permits_current DROP COLUMN geom_3857;
ALTER TABLE aois DROP COLUMN source, DROP COLUMN buffer_unit, DROP COLUMN shape;
DROP POLICY member_workspaces ON workspaces;
DROP POLICY member_self ON workspace_members;
DROP FUNCTION invitation_by_token(text);
DROP TABLE workspace_invitations, user_tokens, user_sessions;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
