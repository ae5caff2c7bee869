"""Billing: a workspace's subscription state as Stripe reports it (plan, status, add-ons,
period, trial end, when a payment failed), the Stripe customer it belongs to, notices sent
once (trial ending, alerts paused, limits near), and the text messages beyond the plan
reported to Stripe's meter, each once. The worker role reads the billing columns: the
evaluator and the delivery workers act on a workspace's standing.

Revision ID: 0024_billing
Revises: 0023_outbound_webhooks
Create Date: 2026-11-29
"""
from alembic import op

revision = "0024_billing"
down_revision = "0023_outbound_webhooks"
branch_labels = None
depends_on = None

APP, WORKER = "permitwatch_app", "permitwatch_worker"


def upgrade() -> None:
    op.execute(f"""
      ALTER TABLE workspaces
        ADD COLUMN billing_status text NOT NULL DEFAULT 'comped'
          CHECK (billing_status IN ('trialing', 'active', 'past_due', 'canceled', 'comped')),
        ADD COLUMN trial_ends_at timestamptz,
        ADD COLUMN past_due_since timestamptz,
        ADD COLUMN current_period_end timestamptz,
        ADD COLUMN cancel_at_period_end boolean NOT NULL DEFAULT false,
        ADD COLUMN addons jsonb NOT NULL DEFAULT '{{}}'::jsonb CHECK (jsonb_typeof(addons) = 'object'),
        ADD COLUMN stripe_synced_at timestamptz;
      -- Workspaces signed up before billing existed start their trial now.
      UPDATE workspaces SET billing_status = 'trialing', trial_ends_at = greatest(created_at, now()) + interval '14 days'
       WHERE plan = 'trial';

      CREATE POLICY billing_reader ON workspaces FOR SELECT TO {WORKER} USING (true);
      GRANT SELECT ON workspaces TO {WORKER};

      -- The Stripe webhook has no workspace context: this is its only way from a customer
      -- to the workspace, and it reveals nothing else.
      CREATE FUNCTION workspace_of_stripe_customer(p_customer text) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT id FROM workspaces WHERE stripe_customer_id = p_customer $$;
      REVOKE ALL ON FUNCTION workspace_of_stripe_customer(text) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION workspace_of_stripe_customer(text) TO {APP};

      CREATE TABLE billing_notices (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        kind text NOT NULL,
        period text NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, kind, period)
      );
      -- One row per text message beyond the plan, written in the transaction that reports
      -- it to Stripe's meter (whose identifier is the same id), so it is billed once.
      CREATE TABLE billing_meter_reports (
        outbox_id bigint PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        meter_event text NOT NULL,
        reported_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX billing_meter_reports_ws_idx ON billing_meter_reports (workspace_id, reported_at);
    """)
    for table in ("billing_notices", "billing_meter_reports"):
        op.execute(f"""
          ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
          ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
          CREATE POLICY workspace_isolation ON {table} TO {APP}
            USING (workspace_id = app_workspace_id()) WITH CHECK (workspace_id = app_workspace_id());
          CREATE POLICY owner_maintenance ON {table} TO permitwatch_owner USING (true) WITH CHECK (true);
          CREATE POLICY alert_worker ON {table} TO {WORKER} USING (true) WITH CHECK (true);
          GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP}, {WORKER};""")
    op.execute(_key_lookup(with_billing=True))


def _key_lookup(with_billing: bool) -> str:
    # A keyed request learns its workspace's plan and standing in the lookup it already
    # makes (PL/pgSQL: the plan is kept for the connection's life).
    billing = (", w.plan, w.billing_status, w.trial_ends_at, w.past_due_since, w.current_period_end, w.cancel_at_period_end, "
               "w.addons, q.sms_per_month, q.email_per_month, q.exports_per_day") if with_billing else ""
    returns = (", plan text, billing_status text, trial_ends_at timestamptz, past_due_since timestamptz, current_period_end timestamptz, "
               "cancel_at_period_end boolean, addons jsonb, sms_per_month integer, email_per_month integer, exports_per_day integer"
               ) if with_billing else ""
    join = " JOIN workspaces w ON w.id = k.workspace_id" if with_billing else ""
    return f"""
      DROP FUNCTION api_key_for(text);
      CREATE FUNCTION api_key_for(digest text)
        RETURNS TABLE (id uuid, workspace_id uuid, scopes text[], allowed_ips text[], revoked_at timestamptz, expires_at timestamptz,
                       last_used_at timestamptz, rate_per_minute integer, calls_per_month integer, created_by uuid{returns})
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN RETURN QUERY
          SELECT k.id, k.workspace_id, k.scopes, k.allowed_ips::text[], k.revoked_at, k.expires_at, k.last_used_at,
                 q.api_rate_per_minute, q.api_calls_per_month, k.created_by{billing}
          FROM api_keys k{join} LEFT JOIN workspace_quotas q ON q.workspace_id = k.workspace_id WHERE k.key_hash = digest; END $$;
      REVOKE ALL ON FUNCTION api_key_for(text) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION api_key_for(text) TO {APP};"""


def downgrade() -> None:
    op.execute(_key_lookup(with_billing=False))
    op.execute(f"""
      DROP TABLE billing_meter_reports, billing_notices;
      DROP FUNCTION workspace_of_stripe_customer(text);
      REVOKE SELECT ON workspaces FROM {WORKER};
      DROP POLICY billing_reader ON workspaces;
      ALTER TABLE workspaces DROP COLUMN billing_status, DROP COLUMN trial_ends_at, DROP COLUMN past_due_since,
        DROP COLUMN current_period_end, DROP COLUMN cancel_at_period_end, DROP COLUMN addons, DROP COLUMN stripe_synced_at;
    """)
