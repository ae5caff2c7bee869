"""Product metrics: alert opens (through signed links) and map views, the days each member
was active, the session each audited action was made in (activation: an area or saved
search made in the sign-up session), the weekly figures the platform sweep computes, and
who may see them (platform admins, not workspace owners).

Revision ID: 0025_product_metrics
Revises: 0024_billing
Create Date: 2026-11-29
"""
from alembic import op

revision = "0025_product_metrics"
down_revision = "0024_billing"
branch_labels = None
depends_on = None

APP, WORKER, OWNER = "permitwatch_app", "permitwatch_worker", "permitwatch_owner"


def upgrade() -> None:
    op.execute(f"""
      CREATE TABLE product_events (
        id bigserial PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id uuid REFERENCES users(id) ON DELETE SET NULL,
        kind text NOT NULL CHECK (kind IN ('alert_opened', 'map_viewed')),
        outbox_id bigint,
        alert_event_id uuid,
        channel text,
        at timestamptz NOT NULL DEFAULT now()
      );
      -- an alert counts as opened once per person, whichever channel they opened it from
      CREATE UNIQUE INDEX product_events_first_open ON product_events (user_id, alert_event_id) WHERE kind = 'alert_opened';
      CREATE INDEX product_events_at_idx ON product_events (at, kind);
      CREATE INDEX product_events_user_idx ON product_events (user_id, at);

      CREATE TABLE user_activity_days (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        day date NOT NULL,
        PRIMARY KEY (user_id, workspace_id, day)
      );
      CREATE INDEX user_activity_days_day_idx ON user_activity_days (day);

      ALTER TABLE audit_log ADD COLUMN session_ref text DEFAULT nullif(current_setting('app.session_ref', true), '');
      ALTER TABLE users ADD COLUMN platform_admin boolean NOT NULL DEFAULT false;

      CREATE TABLE product_metrics_weekly (
        week_start date NOT NULL,
        metric text NOT NULL,
        value double precision,
        computed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (week_start, metric)
      );
      -- aggregates across workspaces, nothing of any one workspace: the metrics exporter
      -- (worker role) and the platform admin page (app role) read them
      GRANT SELECT ON product_metrics_weekly TO {APP}, {WORKER};

      -- An alert link's token names an outbox row; this is the only way from it to a
      -- recorded open (the link is opened without a session, often on a phone).
      CREATE FUNCTION record_alert_open(p_outbox bigint) RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          INSERT INTO product_events (workspace_id, user_id, kind, outbox_id, alert_event_id, channel)
          SELECT o.workspace_id, o.user_id, 'alert_opened', o.id, o.alert_event_id, o.channel FROM notification_outbox o
           WHERE o.id = p_outbox AND o.alert_event_id IS NOT NULL AND o.user_id IS NOT NULL
          ON CONFLICT DO NOTHING;
          RETURN FOUND;
        END $$;
      REVOKE ALL ON FUNCTION record_alert_open(bigint) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION record_alert_open(bigint) TO {APP};
    """)
    for table in ("product_events", "user_activity_days"):
        op.execute(f"""
          ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
          ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
          CREATE POLICY workspace_isolation ON {table} TO {APP}
            USING (workspace_id = app_workspace_id()) WITH CHECK (workspace_id = app_workspace_id());
          CREATE POLICY owner_maintenance ON {table} TO {OWNER} USING (true) WITH CHECK (true);
          GRANT SELECT, INSERT ON {table} TO {APP};""")
    op.execute(f"GRANT USAGE, SELECT ON SEQUENCE product_events_id_seq TO {APP}")


def downgrade() -> None:
    op.execute("""
      DROP FUNCTION record_alert_open(bigint);
      DROP TABLE product_metrics_weekly, user_activity_days, product_events;
      ALTER TABLE users DROP COLUMN platform_admin;
      ALTER TABLE audit_log DROP COLUMN session_ref;
    """)
