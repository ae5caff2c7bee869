"""Operator intelligence: the comparison aggregate, lineage between operators, and
workspace-private operator groups.

`operator_stats_daily` becomes a function of `permits_current`: per operator, county and
issue day, the approved permits, how many are horizontal, their depths, how many have
spudded and how long each took. Ingestion recomputes the groups a run touched, so the
aggregate always equals the same figures computed from the permits (tested that way).

Revision ID: 0010_operator_intelligence
Revises: 0009_alert_event_writes
Create Date: 2026-11-29
"""
from alembic import op

revision = "0010_operator_intelligence"
down_revision = "0009_alert_event_writes"
branch_labels = None
depends_on = None

APP = "permitwatch_app"
TENANT = ("operator_groups", "operator_group_members")

UPGRADE = """
DROP TABLE operator_stats_daily;
CREATE TABLE operator_stats_daily (
  operator_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
  county_code text NOT NULL,
  issued_date date NOT NULL,
  district text,
  permits integer NOT NULL,
  horizontal integer NOT NULL,
  depths integer[] NOT NULL,          -- total depths of the day's permits that state one
  spudded integer NOT NULL,
  days_to_spud integer[] NOT NULL,
  PRIMARY KEY (operator_id, county_code, issued_date)
);
CREATE INDEX operator_stats_daily_county_idx ON operator_stats_daily (county_code, issued_date);
CREATE INDEX operator_stats_daily_district_idx ON operator_stats_daily (district, issued_date);
CREATE INDEX operator_stats_daily_day_idx ON operator_stats_daily (issued_date);
INSERT INTO operator_stats_daily
SELECT operator_id, coalesce(county_code, ''), issued_date, min(district), count(*),
       count(*) FILTER (WHERE wellbore_profile = 'horizontal'),
       coalesce(array_agg(total_depth ORDER BY total_depth) FILTER (WHERE total_depth IS NOT NULL), '{}'),
       count(spud_date),
       coalesce(array_agg(spud_date - issued_date ORDER BY spud_date - issued_date) FILTER (WHERE spud_date IS NOT NULL), '{}')
FROM permits_current WHERE operator_id IS NOT NULL AND issued_date IS NOT NULL
GROUP BY 1, 2, 3;

-- A reorganisation under a new P-5 number: the successor carries on the predecessor's line.
CREATE TABLE operator_links (
  id bigserial PRIMARY KEY,
  predecessor_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
  successor_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
  note text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (predecessor_id, successor_id),
  CHECK (predecessor_id <> successor_id)
);
CREATE INDEX operator_links_successor_idx ON operator_links (successor_id);

-- "Competitor X" = these operators, private to a workspace.
CREATE TABLE operator_groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);
CREATE TABLE operator_group_members (
  group_id uuid NOT NULL REFERENCES operator_groups(id) ON DELETE CASCADE,
  operator_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, operator_id)
);
CREATE INDEX operator_group_members_operator_idx ON operator_group_members (operator_id);
"""


def _policies() -> str:
    return "\n".join(
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY;"
        f"CREATE POLICY workspace_isolation ON {t} TO {APP} USING (workspace_id = app_workspace_id()) "
        f"WITH CHECK (workspace_id = app_workspace_id());"
        f"CREATE POLICY owner_maintenance ON {t} TO permitwatch_owner USING (true) WITH CHECK (true);"
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {APP};" for t in TENANT)


def upgrade() -> None:
    op.execute(UPGRADE + _policies() + f"GRANT SELECT ON operator_stats_daily, operator_links TO {APP};"
               "GRANT SELECT ON operator_stats_daily TO permitwatch_worker;")


def downgrade() -> None:
    op.execute("""
      DROP TABLE operator_group_members, operator_groups, operator_links;
      DROP TABLE operator_stats_daily;
      CREATE TABLE operator_stats_daily (
        operator_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
        day date NOT NULL,
        county_code text NOT NULL,
        permits_count integer NOT NULL DEFAULT 0,
        amendments_count integer NOT NULL DEFAULT 0,
        horizontal_count integer NOT NULL DEFAULT 0,
        PRIMARY KEY (operator_id, day, county_code)
      );
      CREATE INDEX operator_stats_daily_county_idx ON operator_stats_daily (county_code, day);
    """)
