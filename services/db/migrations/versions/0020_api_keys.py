"""Pro API keys as the API uses them: scopes, an optional expiry and IP allow-list, who made
the key, when and from where it was last used, and the key that replaced it when rolled
(the old one lives on until its overlap ends). A request's key is found by its digest
before any workspace is known, through one SECURITY DEFINER function that returns only
that key's row (the table itself stays under RLS for the app role).

Revision ID: 0020_api_keys
Revises: 0019_activity_reports
Create Date: 2026-11-29
"""
from alembic import op

revision = "0020_api_keys"
down_revision = "0019_activity_reports"
branch_labels = None
depends_on = None

APP = "permitwatch_app"


def upgrade() -> None:
    op.execute(f"""
      DELETE FROM api_keys;  -- nothing made keys before this feature
      ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
      ALTER TABLE api_keys ALTER COLUMN scopes TYPE text[] USING ARRAY[]::text[];
      ALTER TABLE api_keys ALTER COLUMN scopes SET DEFAULT '{{}}';
      ALTER TABLE api_keys
        ADD COLUMN created_by uuid REFERENCES users(id),
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN allowed_ips cidr[],
        ADD COLUMN last_used_ip inet,
        ADD COLUMN replaced_by uuid REFERENCES api_keys(id) ON DELETE SET NULL,
        ADD CONSTRAINT api_keys_scopes_given CHECK (cardinality(scopes) > 0);
      CREATE FUNCTION api_key_for(digest text)
        RETURNS TABLE (id uuid, workspace_id uuid, scopes text[], allowed_ips text[], revoked_at timestamptz, expires_at timestamptz,
                       last_used_at timestamptz, rate_per_minute integer, calls_per_month integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT k.id, k.workspace_id, k.scopes, k.allowed_ips::text[], k.revoked_at, k.expires_at, k.last_used_at,
                 q.api_rate_per_minute, q.api_calls_per_month
          FROM api_keys k LEFT JOIN workspace_quotas q ON q.workspace_id = k.workspace_id WHERE k.key_hash = digest
        $$;
      REVOKE ALL ON FUNCTION api_key_for(text) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION api_key_for(text) TO {APP};
      GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys TO {APP};
    """)


def downgrade() -> None:
    op.execute("""
      DROP FUNCTION api_key_for(text);
      DELETE FROM api_keys;
      ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_given, DROP COLUMN created_by, DROP COLUMN expires_at, DROP COLUMN allowed_ips,
        DROP COLUMN last_used_ip, DROP COLUMN replaced_by;
      ALTER TABLE api_keys ALTER COLUMN scopes DROP DEFAULT;
      ALTER TABLE api_keys ALTER COLUMN scopes TYPE jsonb USING '{}'::jsonb;
      ALTER TABLE api_keys ALTER COLUMN scopes SET DEFAULT '{}';
    """)
