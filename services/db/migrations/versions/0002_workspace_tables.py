"""Workspace-owned tables (AOIs, searches, watchlists, alerting, exports, API, audit) and
Row Level Security on every one of them.

Revision ID: 0002_workspace_tables
Revises: 0001_core
Create Date: 2026-11-24
"""
from alembic import op

revision = "0002_workspace_tables"
down_revision = "0001_core"
branch_labels = None
depends_on = None

APP_ROLE = "permitwatch_app"
OWNER_ROLE = "permitwatch_owner"

# Every table here carries workspace_id and is isolated by it.
TENANT_TABLES = (
    "workspace_members", "aois", "saved_searches", "operator_watchlists",
    "operator_watchlist_items", "alert_rules", "alert_events", "notification_outbox",
    "notifications", "export_jobs", "api_keys", "api_usage_daily", "audit_log",
)

TABLES = """
CREATE TABLE aois (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL,
  geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
  buffer_meters integer CHECK (buffer_meters BETWEEN 0 AND 100000),
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aois_workspace_idx ON aois (workspace_id, created_at DESC);
CREATE INDEX aois_geom_idx ON aois USING gist (geom);
CREATE INDEX aois_created_by_idx ON aois (created_by);

CREATE TABLE saved_searches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL,
  filters jsonb NOT NULL,
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX saved_searches_workspace_idx ON saved_searches (workspace_id, created_at DESC);
CREATE INDEX saved_searches_filters_idx ON saved_searches USING gin (filters);

CREATE TABLE operator_watchlists (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_watchlists_workspace_idx ON operator_watchlists (workspace_id);

CREATE TABLE operator_watchlist_items (
  watchlist_id uuid NOT NULL REFERENCES operator_watchlists(id) ON DELETE CASCADE,
  operator_id uuid NOT NULL REFERENCES operators(id),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  PRIMARY KEY (watchlist_id, operator_id)
);
CREATE INDEX operator_watchlist_items_operator_idx ON operator_watchlist_items (operator_id);

CREATE TABLE alert_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  aoi_id uuid REFERENCES aois(id) ON DELETE CASCADE,
  saved_search_id uuid REFERENCES saved_searches(id) ON DELETE CASCADE,
  watchlist_id uuid REFERENCES operator_watchlists(id) ON DELETE CASCADE,
  notify_on text NOT NULL DEFAULT 'new_only' CHECK (notify_on IN ('new_only', 'new_and_amendments', 'all_changes')),
  change_types text[],
  channels jsonb NOT NULL DEFAULT '{"in_app": true}',
  quiet_hours jsonb,
  digest_mode text NOT NULL DEFAULT 'none' CHECK (digest_mode IN ('none', 'daily', 'weekly')),
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alert_rules_target CHECK (num_nonnulls(aoi_id, saved_search_id, watchlist_id) >= 1)
);
CREATE INDEX alert_rules_workspace_idx ON alert_rules (workspace_id, enabled);
CREATE INDEX alert_rules_aoi_idx ON alert_rules (aoi_id);
CREATE INDEX alert_rules_search_idx ON alert_rules (saved_search_id);
CREATE INDEX alert_rules_watchlist_idx ON alert_rules (watchlist_id);

CREATE TABLE alert_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  alert_rule_id uuid NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
  permit_id uuid NOT NULL REFERENCES permits(id),
  permit_version_id uuid NOT NULL,
  permit_change_id bigint REFERENCES permit_changes(id),
  triggered_at timestamptz NOT NULL DEFAULT now(),
  dedupe_key text NOT NULL UNIQUE,
  event_payload jsonb
);
CREATE INDEX alert_events_workspace_idx ON alert_events (workspace_id, triggered_at DESC);
CREATE INDEX alert_events_rule_idx ON alert_events (alert_rule_id, triggered_at DESC);
CREATE INDEX alert_events_permit_idx ON alert_events (permit_id);
CREATE INDEX alert_events_version_idx ON alert_events (permit_version_id);

CREATE TABLE notification_outbox (
  id bigserial PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  alert_event_id uuid REFERENCES alert_events(id) ON DELETE CASCADE,
  user_id uuid REFERENCES users(id),
  channel text NOT NULL CHECK (channel IN ('sms', 'email', 'in_app')),
  to_address text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  provider_message_id text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_outbox_pull_idx ON notification_outbox (status, next_attempt_at);
CREATE INDEX notification_outbox_event_idx ON notification_outbox (alert_event_id);
CREATE INDEX notification_outbox_workspace_idx ON notification_outbox (workspace_id, created_at DESC);

CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  alert_event_id uuid REFERENCES alert_events(id) ON DELETE SET NULL,
  title text NOT NULL,
  body text,
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_workspace_idx ON notifications (workspace_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE export_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  created_by uuid NOT NULL REFERENCES users(id),
  job_type text NOT NULL CHECK (job_type IN ('csv_export', 'xlsx_export', 'aoi_activity_report')),
  params jsonb NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  row_count integer,
  output_url text,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  expires_at timestamptz
);
CREATE INDEX export_jobs_workspace_idx ON export_jobs (workspace_id, created_at DESC);
CREATE INDEX export_jobs_status_idx ON export_jobs (status, created_at);
CREATE INDEX export_jobs_creator_idx ON export_jobs (created_by, created_at DESC);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name text NOT NULL,
  key_prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,       -- only a hash is stored, never the key
  scopes jsonb NOT NULL DEFAULT '{}',
  rate_limit jsonb,
  monthly_quota integer,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, created_at DESC);
CREATE INDEX api_keys_revoked_idx ON api_keys (revoked_at);
CREATE INDEX api_keys_used_idx ON api_keys (last_used_at DESC);

CREATE TABLE api_usage_daily (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  day date NOT NULL,
  requests integer NOT NULL DEFAULT 0,
  errors integer NOT NULL DEFAULT 0,
  PRIMARY KEY (api_key_id, day)
);
CREATE INDEX api_usage_daily_workspace_idx ON api_usage_daily (workspace_id, day DESC);

-- workspace_id is NULL for platform actions (operator merges, ...), taken with no
-- workspace context; no workspace can read those rows.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE,
  actor_user_id uuid,
  action text NOT NULL,
  entity_type text,
  entity_id text,
  metadata jsonb,
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_workspace_idx ON audit_log (workspace_id, created_at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, created_at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, created_at DESC);
"""


def _rls() -> str:
    stmts = []
    for table in ("workspaces", *TENANT_TABLES):
        key = "id" if table == "workspaces" else "workspace_id"
        stmts.append(
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n"
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY;\n"
            f"CREATE POLICY workspace_isolation ON {table} TO {APP_ROLE} "
            f"USING ({key} = app_workspace_id()) WITH CHECK ({key} = app_workspace_id());\n"
            # Platform maintenance (operator merges, retention) runs as the owner role,
            # whose credentials only migrations and admin commands hold.
            f"CREATE POLICY owner_maintenance ON {table} TO {OWNER_ROLE} USING (true) WITH CHECK (true);"
        )
    stmts.append(
        f"CREATE POLICY platform_audit_insert ON audit_log FOR INSERT TO {APP_ROLE} "
        "WITH CHECK (workspace_id IS NULL AND app_workspace_id() IS NULL);"
    )
    # The audit trail is append-only for the application.
    stmts.append(f"REVOKE UPDATE, DELETE ON audit_log FROM {APP_ROLE};")
    return "\n".join(stmts)


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(_rls())


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS workspace_isolation ON workspaces;"
               "DROP POLICY IF EXISTS owner_maintenance ON workspaces;"
               "ALTER TABLE workspaces NO FORCE ROW LEVEL SECURITY;"
               "ALTER TABLE workspaces DISABLE ROW LEVEL SECURITY;")
    op.execute("DROP TABLE " + ", ".join(t for t in reversed(TENANT_TABLES) if t != "workspace_members") + " CASCADE;")
    op.execute("DROP POLICY IF EXISTS workspace_isolation ON workspace_members;"
               "DROP POLICY IF EXISTS owner_maintenance ON workspace_members;"
               "ALTER TABLE workspace_members NO FORCE ROW LEVEL SECURITY;"
               "ALTER TABLE workspace_members DISABLE ROW LEVEL SECURITY;")
