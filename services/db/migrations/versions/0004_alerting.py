"""Alerting: evaluator cursor, AOI match geometry, rule delivery settings, outbox states,
workspace quotas and delivery usage, and the worker role's policies.

Revision ID: 0004_alerting
Revises: 0003_reference_counties
Create Date: 2026-11-24
"""
from alembic import op

revision = "0004_alerting"
down_revision = "0003_reference_counties"
branch_labels = None
depends_on = None

APP, WORKER = "permitwatch_app", "permitwatch_worker"
# What the alert evaluator and delivery workers may read and write in every workspace.
# Nothing else: no API keys, exports, usage or audit history.
WORKER_TABLES = ("workspaces", "workspace_members", "aois", "saved_searches", "operator_watchlists",
                 "operator_watchlist_items", "alert_rules", "alert_events", "notification_outbox", "notifications",
                 "workspace_quotas", "delivery_usage_daily")
NEW_TENANT_TABLES = ("workspace_quotas", "delivery_usage_daily")

UPGRADE = """
CREATE TABLE alert_cursors (
  name text PRIMARY KEY,
  last_change_id bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO alert_cursors (name) VALUES ('evaluator');

-- The AOI grown by its buffer, in metres on the ellipsoid (geography), so a buffer means
-- the same distance anywhere in Texas; indexed for the evaluator's spatial join.
ALTER TABLE aois ADD COLUMN match_geom geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (
  CASE WHEN coalesce(buffer_meters, 0) > 0
       THEN ST_Multi(ST_Buffer(geom::geography, buffer_meters)::geometry) ELSE geom END) STORED;
CREATE INDEX aois_match_geom_idx ON aois USING gist (match_geom);

ALTER TABLE alert_rules
  ADD COLUMN recipients uuid[] NOT NULL DEFAULT '{}',
  ADD COLUMN timezone text NOT NULL DEFAULT 'America/Chicago',
  ADD COLUMN digest_at time NOT NULL DEFAULT '07:00',
  ADD COLUMN digest_weekday smallint NOT NULL DEFAULT 0 CHECK (digest_weekday BETWEEN 0 AND 6);

ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_status_check;
ALTER TABLE notification_outbox
  ADD CONSTRAINT notification_outbox_status_check
    CHECK (status IN ('pending', 'held', 'sending', 'sent', 'failed', 'dead', 'digested')),
  ADD COLUMN kind text NOT NULL DEFAULT 'alert' CHECK (kind IN ('alert', 'digest')),
  ADD COLUMN alert_rule_id uuid REFERENCES alert_rules(id) ON DELETE SET NULL,
  ADD COLUMN payload jsonb,
  ADD COLUMN digest_key text,
  ADD COLUMN digest_id bigint REFERENCES notification_outbox(id),
  ADD COLUMN leased_until timestamptz,
  ADD COLUMN sent_at timestamptz;
-- One delivery per event, channel and recipient, whatever retries or re-evaluations do.
CREATE UNIQUE INDEX notification_outbox_once ON notification_outbox (alert_event_id, channel, user_id)
  WHERE alert_event_id IS NOT NULL AND kind = 'alert';
CREATE UNIQUE INDEX notification_outbox_digest_once ON notification_outbox (digest_key, channel, user_id)
  WHERE kind = 'digest';
CREATE INDEX notification_outbox_held_idx ON notification_outbox (next_attempt_at) WHERE status = 'held';
CREATE INDEX notification_outbox_lease_idx ON notification_outbox (leased_until) WHERE status = 'sending';

CREATE TABLE workspace_quotas (
  workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  sms_per_day integer NOT NULL DEFAULT 50 CHECK (sms_per_day >= 0),
  email_per_day integer NOT NULL DEFAULT 500 CHECK (email_per_day >= 0),
  api_calls_per_month integer,
  api_rate_per_minute integer,
  exports_per_day integer,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE delivery_usage_daily (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  day date NOT NULL,
  channel text NOT NULL,
  count integer NOT NULL DEFAULT 0,
  PRIMARY KEY (workspace_id, day, channel)
);
"""


def _policies() -> str:
    out = []
    for t in NEW_TENANT_TABLES:
        out.append(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY;"
                   f"CREATE POLICY workspace_isolation ON {t} TO {APP} USING (workspace_id = app_workspace_id()) "
                   f"WITH CHECK (workspace_id = app_workspace_id());"
                   f"CREATE POLICY owner_maintenance ON {t} TO permitwatch_owner USING (true) WITH CHECK (true);")
    for t in WORKER_TABLES:
        out.append(f"CREATE POLICY alert_worker ON {t} TO {WORKER} USING (true) WITH CHECK (true);")
    tables = ", ".join(WORKER_TABLES)
    out.append(f"""
      GRANT USAGE ON SCHEMA public TO {WORKER};
      GRANT SELECT, INSERT, UPDATE, DELETE ON {tables}, alert_cursors TO {WORKER};
      GRANT SELECT ON users, permits, permits_current, permit_versions, permit_changes, operators, ref_counties TO {WORKER};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {WORKER};
      GRANT EXECUTE ON FUNCTION app_workspace_id(), app_user_id() TO {WORKER};
      GRANT SELECT, UPDATE ON alert_cursors TO {APP};
    """)
    return "\n".join(out)


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute(_policies())


def downgrade() -> None:
    op.execute(f"""
      DROP TABLE delivery_usage_daily, workspace_quotas;
      REVOKE ALL ON {", ".join(t for t in WORKER_TABLES if t not in NEW_TENANT_TABLES)}, alert_cursors FROM {WORKER};
      REVOKE ALL ON users, permits, permits_current, permit_versions, permit_changes, operators, ref_counties FROM {WORKER};
      REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {WORKER};
      REVOKE ALL ON FUNCTION app_workspace_id(), app_user_id() FROM {WORKER};
      REVOKE USAGE ON SCHEMA public FROM {WORKER};
    """)
    for t in WORKER_TABLES:
        if t not in NEW_TENANT_TABLES:
            op.execute(f"DROP POLICY alert_worker ON {t}")
    op.execute("""
      DROP INDEX notification_outbox_once, notification_outbox_digest_once, notification_outbox_held_idx, notification_outbox_lease_idx;
      ALTER TABLE notification_outbox DROP COLUMN sent_at, DROP COLUMN leased_until, DROP COLUMN digest_id,
        DROP COLUMN digest_key, DROP COLUMN payload, DROP COLUMN alert_rule_id, DROP COLUMN kind;
      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_status_check;
      DELETE FROM notification_outbox WHERE status NOT IN ('pending', 'sending', 'sent', 'failed', 'dead');
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_status_check
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead'));
      ALTER TABLE alert_rules DROP COLUMN digest_weekday, DROP COLUMN digest_at, DROP COLUMN timezone, DROP COLUMN recipients;
      DROP INDEX aois_match_geom_idx;
      ALTER TABLE aois DROP COLUMN match_geom;
      DROP TABLE alert_cursors;
    """)
