"""Operations: quotas managed by the Kubernetes operator (monthly limits, who manages the
row), the usage it reports back, and what the metrics and backfill progress read.

Revision ID: 0006_operations
Revises: 0005_web_app
Create Date: 2026-11-25
"""
from alembic import op

revision = "0006_operations"
down_revision = "0005_web_app"
branch_labels = None
depends_on = None

WORKER = "permitwatch_worker"

UPGRADE = f"""
ALTER TABLE workspace_quotas
  ADD COLUMN sms_per_month integer CHECK (sms_per_month >= 0),
  ADD COLUMN email_per_month integer CHECK (email_per_month >= 0),
  -- 'k8s:<namespace>/<name>' while a WorkspaceQuota resource owns the row; its deletion
  -- puts the defaults back.
  ADD COLUMN managed_by text;

-- A workspace's usage against its quotas, for the operator (worker role), which may not
-- read API usage, exports or the workspace list itself. Counts only; no row leaves.
CREATE FUNCTION workspace_usage(ws uuid, at timestamptz)
RETURNS TABLE (found boolean, sms_month integer, email_month integer, sms_today integer, email_today integer,
               api_calls_month integer, export_jobs_today integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM workspaces WHERE id = ws),
    (SELECT coalesce(sum(count), 0)::int FROM delivery_usage_daily
      WHERE workspace_id = ws AND channel = 'sms' AND day >= date_trunc('month', at AT TIME ZONE 'UTC')::date),
    (SELECT count(*)::int FROM notification_outbox
      WHERE workspace_id = ws AND channel = 'email' AND status = 'sent' AND updated_at >= date_trunc('month', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'),
    (SELECT coalesce(sum(count), 0)::int FROM delivery_usage_daily
      WHERE workspace_id = ws AND channel = 'sms' AND day = (at AT TIME ZONE 'UTC')::date),
    (SELECT count(*)::int FROM notification_outbox
      WHERE workspace_id = ws AND channel = 'email' AND status = 'sent' AND updated_at >= date_trunc('day', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'),
    (SELECT coalesce(sum(requests), 0)::int FROM api_usage_daily
      WHERE workspace_id = ws AND day >= date_trunc('month', at AT TIME ZONE 'UTC')::date),
    (SELECT count(*)::int FROM export_jobs
      WHERE workspace_id = ws AND created_at >= date_trunc('day', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
$$;
REVOKE ALL ON FUNCTION workspace_usage(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION workspace_usage(uuid, timestamptz) TO {WORKER};

-- Platform metrics (ingestion freshness, QA gate failures) and backfill progress are read
-- by the worker role: the raw layer's run log, no permit content beyond what it has.
GRANT SELECT ON ingestion_runs, data_quality_checks TO {WORKER};

-- Quota rows the operator writes or releases are audited; the worker role may add those
-- entries and nothing else to the audit trail.
GRANT INSERT ON audit_log TO {WORKER};
CREATE POLICY operator_quota_audit ON audit_log FOR INSERT TO {WORKER} WITH CHECK (action LIKE 'quota.%');
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(f"""
      DROP POLICY operator_quota_audit ON audit_log;
      REVOKE INSERT ON audit_log FROM {WORKER};
      REVOKE SELECT ON ingestion_runs, data_quality_checks FROM {WORKER};
      DROP FUNCTION workspace_usage(uuid, timestamptz);
      ALTER TABLE workspace_quotas DROP COLUMN sms_per_month, DROP COLUMN email_per_month, DROP COLUMN managed_by;
    """)
