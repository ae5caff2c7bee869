"""Outbound webhooks: a workspace's HTTPS endpoints, each subscribed to alert events and/or
permit changes. Deliveries are outbox rows (channel `webhook`), so they get the outbox's
leases, retries with backoff and dead letters; each attempt is logged (status, time taken,
address, error) for the delivery log. An endpoint keeps salts, not secrets (see
services.webhooks.signing), the previous one live until its overlap ends, and its place in
the change feed. A key now also names who made it, on whose behalf it acts (exports,
rules, webhooks made with a key are that member's).

Revision ID: 0023_outbound_webhooks
Revises: 0022_change_feed
Create Date: 2026-11-29
"""
from alembic import op

revision = "0023_outbound_webhooks"
down_revision = "0022_change_feed"
branch_labels = None
depends_on = None

APP, WORKER = "permitwatch_app", "permitwatch_worker"


def _rls(table: str) -> str:
    return f"""
      ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
      ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON {table} TO {APP}
        USING (workspace_id = app_workspace_id()) WITH CHECK (workspace_id = app_workspace_id());
      CREATE POLICY owner_maintenance ON {table} TO permitwatch_owner USING (true) WITH CHECK (true);
      CREATE POLICY alert_worker ON {table} TO {WORKER} USING (true) WITH CHECK (true);
      GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP}, {WORKER};"""


def upgrade() -> None:
    op.execute(f"""
      CREATE TABLE webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        url text NOT NULL CHECK (left(url, 8) = 'https://' AND length(url) <= 2000),
        description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
        events text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@ ARRAY['alert.created', 'permit.changed']),
        enabled boolean NOT NULL DEFAULT true,
        secret_salt bytea NOT NULL,
        previous_salt bytea,
        previous_until timestamptz,
        changes_cursor text NOT NULL,
        created_by uuid REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (id, workspace_id)
      );
      CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id) WHERE enabled;
      {_rls("webhook_endpoints")}

      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_channel_check;
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_channel_check CHECK (channel IN ('sms', 'email', 'in_app', 'webhook'));
      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind_check;
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind_check CHECK (kind IN ('alert', 'digest', 'report', 'webhook'));
      ALTER TABLE notification_outbox
        ADD COLUMN webhook_endpoint_id uuid,
        ADD COLUMN event_type text,
        ADD CONSTRAINT notification_outbox_webhook FOREIGN KEY (webhook_endpoint_id, workspace_id)
          REFERENCES webhook_endpoints (id, workspace_id) ON DELETE CASCADE,
        ADD CONSTRAINT notification_outbox_webhook_has_endpoint CHECK ((channel = 'webhook') = (webhook_endpoint_id IS NOT NULL));
      CREATE UNIQUE INDEX notification_outbox_webhook_once ON notification_outbox (webhook_endpoint_id, alert_event_id)
        WHERE channel = 'webhook' AND alert_event_id IS NOT NULL;
      CREATE INDEX notification_outbox_webhook_log_idx ON notification_outbox (webhook_endpoint_id, id DESC) WHERE channel = 'webhook';

      CREATE TABLE webhook_attempts (
        id bigserial PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        outbox_id bigint NOT NULL REFERENCES notification_outbox(id) ON DELETE CASCADE,
        attempted_at timestamptz NOT NULL DEFAULT now(),
        address inet,
        status_code integer,
        duration_ms integer,
        error text
      );
      CREATE INDEX webhook_attempts_outbox_idx ON webhook_attempts (outbox_id, id);
      {_rls("webhook_attempts")}
      GRANT USAGE, SELECT ON SEQUENCE webhook_attempts_id_seq TO {APP}, {WORKER};
      {_key_lookup(with_maker=True)}
    """)


def _key_lookup(with_maker: bool) -> str:
    # PL/pgSQL keeps the lookup's plan for the connection's life; a SQL function with
    # SECURITY DEFINER is planned on every call, and every keyed request makes one.
    maker = ", created_by uuid" if with_maker else ""
    body = f"""SELECT k.id, k.workspace_id, k.scopes, k.allowed_ips::text[], k.revoked_at, k.expires_at, k.last_used_at,
                 q.api_rate_per_minute, q.api_calls_per_month{", k.created_by" if with_maker else ""}
          FROM api_keys k LEFT JOIN workspace_quotas q ON q.workspace_id = k.workspace_id WHERE k.key_hash = digest"""
    language = f"plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN RETURN QUERY {body}; END $$" if with_maker \
        else f"sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$ {body} $$"
    return f"""
      DROP FUNCTION api_key_for(text);
      CREATE FUNCTION api_key_for(digest text)
        RETURNS TABLE (id uuid, workspace_id uuid, scopes text[], allowed_ips text[], revoked_at timestamptz, expires_at timestamptz,
                       last_used_at timestamptz, rate_per_minute integer, calls_per_month integer{maker})
        LANGUAGE {language};
      REVOKE ALL ON FUNCTION api_key_for(text) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION api_key_for(text) TO {APP};"""


def downgrade() -> None:
    op.execute(_key_lookup(with_maker=False))
    op.execute("""
      DROP TABLE webhook_attempts;
      DELETE FROM notification_outbox WHERE channel = 'webhook';
      DROP INDEX notification_outbox_webhook_once, notification_outbox_webhook_log_idx;
      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_webhook_has_endpoint,
        DROP CONSTRAINT notification_outbox_webhook, DROP COLUMN webhook_endpoint_id, DROP COLUMN event_type;
      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind_check;
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind_check CHECK (kind IN ('alert', 'digest', 'report'));
      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_channel_check;
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_channel_check CHECK (channel IN ('sms', 'email', 'in_app'));
      DROP TABLE webhook_endpoints;
    """)
