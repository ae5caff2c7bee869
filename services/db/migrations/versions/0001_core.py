"""Core schema: tenancy, ingestion raw layer and QA, operators, permits clean layer.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-24
"""
from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

APP_ROLE = "permitwatch_app"

UPGRADE = f"""
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- RLS context, set transaction-locally by services.db.engine.set_tenant. An unset or
-- empty setting yields NULL, and NULL matches no row: no context, no data.
CREATE FUNCTION app_workspace_id() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('app.workspace_id', true), '')::uuid $$;
CREATE FUNCTION app_user_id() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

-- 1) identity and tenancy -------------------------------------------------------------
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  password_hash text NOT NULL,
  display_name text,
  phone text,
  email_verified_at timestamptz,
  phone_verified_at timestamptz,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_shape CHECK (position('@' in email) > 1)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE workspaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  plan text NOT NULL DEFAULT 'basic' CHECK (plan IN ('trial', 'basic', 'pro')),
  created_at timestamptz NOT NULL DEFAULT now(),
  stripe_customer_id text UNIQUE,
  stripe_subscription_id text
);

CREATE TABLE workspace_members (
  workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_idx ON workspace_members (user_id);

-- 2) ingestion raw layer and QA -----------------------------------------------------------
CREATE TABLE ingestion_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  status text NOT NULL CHECK (status IN ('running', 'success', 'warning', 'failed', 'skipped')),
  source_uri text,
  file_sha256 text,
  snapshot_at timestamptz,             -- when the source published what we read
  promoted boolean NOT NULL DEFAULT false,
  cursor jsonb,
  metrics jsonb NOT NULL DEFAULT '{{}}',
  error text
);
CREATE INDEX ingestion_runs_source_idx ON ingestion_runs (source, started_at DESC);
CREATE INDEX ingestion_runs_status_idx ON ingestion_runs (status, started_at DESC);
CREATE INDEX ingestion_runs_file_idx ON ingestion_runs (source, file_sha256) WHERE promoted;

CREATE TABLE permit_raw_records (
  id bigserial PRIMARY KEY,
  source text NOT NULL,
  source_record_id text NOT NULL,
  source_seen_at timestamptz NOT NULL,
  raw_payload jsonb NOT NULL,
  raw_hash text NOT NULL,
  ingestion_run_id uuid NOT NULL REFERENCES ingestion_runs(id),
  CONSTRAINT permit_raw_records_dedupe UNIQUE (source, source_record_id, raw_hash)
);
CREATE INDEX permit_raw_records_record_idx ON permit_raw_records (source, source_record_id);
CREATE INDEX permit_raw_records_seen_idx ON permit_raw_records (source_seen_at DESC);
CREATE INDEX permit_raw_records_run_idx ON permit_raw_records (ingestion_run_id);

CREATE TABLE data_quality_checks (
  id bigserial PRIMARY KEY,
  ingestion_run_id uuid NOT NULL REFERENCES ingestion_runs(id),
  check_name text NOT NULL,
  status text NOT NULL CHECK (status IN ('pass', 'warn', 'fail')),
  details jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_quality_checks_run_idx ON data_quality_checks (ingestion_run_id);
CREATE INDEX data_quality_checks_status_idx ON data_quality_checks (status, created_at DESC);

-- Records and lines that were not promoted, with the reason: nothing is dropped silently.
CREATE TABLE ingestion_quarantine (
  id bigserial PRIMARY KEY,
  ingestion_run_id uuid NOT NULL REFERENCES ingestion_runs(id),
  source text NOT NULL,
  source_record_id text,
  line_no integer,
  reason text NOT NULL,
  details jsonb,
  raw_text text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingestion_quarantine_run_idx ON ingestion_quarantine (ingestion_run_id);
CREATE INDEX ingestion_quarantine_reason_idx ON ingestion_quarantine (reason, created_at DESC);

-- 3) operators ----------------------------------------------------------------------------
CREATE TABLE operators (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  p5_number text UNIQUE,               -- RRC organization (P-5) number: the identity key
  canonical_name text NOT NULL,
  merged_into uuid REFERENCES operators(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operators_name_idx ON operators (lower(canonical_name));
CREATE INDEX operators_name_trgm_idx ON operators USING gin (canonical_name gin_trgm_ops);

CREATE TABLE operator_aliases (
  id bigserial PRIMARY KEY,
  operator_id uuid NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
  alias_name text NOT NULL,
  name_key text NOT NULL,              -- services.operators.names.name_key
  prefix_key text,                     -- set when the alias may be cut at RRC's 32 chars
  source text NOT NULL DEFAULT 'rrc',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX operator_aliases_name_key ON operator_aliases (lower(alias_name));
CREATE INDEX operator_aliases_operator_idx ON operator_aliases (operator_id);
CREATE INDEX operator_aliases_key_idx ON operator_aliases (name_key);
CREATE INDEX operator_aliases_prefix_idx ON operator_aliases (prefix_key text_pattern_ops) WHERE prefix_key IS NOT NULL;

-- 4) permits clean layer ------------------------------------------------------------------
CREATE TABLE permits (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source text NOT NULL,
  source_permit_no text NOT NULL,      -- RRC status number
  api_number text,
  operator_id uuid REFERENCES operators(id),
  first_seen_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT permits_source_no_key UNIQUE (source, source_permit_no)
);
CREATE INDEX permits_operator_idx ON permits (operator_id);
CREATE INDEX permits_api_idx ON permits (api_number);

-- Every parsed version of every filing (sequence 99 = original, 98 = 1st amendment ...).
-- Partitioned by time (quarters of source_seen_at). There is no DEFAULT partition: a
-- row outside every partition fails loudly, and creating a partition never has to lock
-- and scan a default one under readers. Partitions for 2024-2030 exist from the start;
-- ensure_permit_version_partition() adds later ones, before a run's batch begins.
CREATE TABLE permit_versions (
  id uuid NOT NULL,
  permit_id uuid NOT NULL,
  sequence smallint NOT NULL,
  source_seen_at timestamptz NOT NULL,
  effective_at timestamptz NOT NULL,
  version_hash text NOT NULL,
  ingestion_run_id uuid NOT NULL,
  raw_record_id bigint,
  status text,
  permit_type text,
  filing_purpose_code text,
  wellbore_profile text,
  county text,
  county_code text,
  district text,
  operator_id uuid,
  lease_name text,
  well_number text,
  api_number text,
  total_depth integer,
  filed_date date,
  issued_date date,
  amended_date date,
  spud_date date,
  well_status text,
  geom geometry(Point, 4326),
  bhl_geom geometry(MultiPoint, 4326),
  location_carried boolean NOT NULL DEFAULT false,
  attributes jsonb NOT NULL,
  problems jsonb,
  PRIMARY KEY (id, source_seen_at),
  -- A unique index on a partitioned table must hold the partition key; this still
  -- stops the same version from being written twice for one snapshot.
  CONSTRAINT permit_versions_dedupe UNIQUE (permit_id, sequence, version_hash, source_seen_at)
) PARTITION BY RANGE (source_seen_at);
CREATE INDEX permit_versions_permit_idx ON permit_versions (permit_id, source_seen_at DESC);
CREATE INDEX permit_versions_filed_idx ON permit_versions (filed_date DESC);
CREATE INDEX permit_versions_county_idx ON permit_versions (county);
CREATE INDEX permit_versions_status_idx ON permit_versions (status);
CREATE INDEX permit_versions_operator_idx ON permit_versions (operator_id);
CREATE INDEX permit_versions_geom_idx ON permit_versions USING gist (geom);

CREATE FUNCTION ensure_permit_version_partition(ts timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  lo date := date_trunc('quarter', ts AT TIME ZONE 'UTC')::date;
  hi date := (date_trunc('quarter', ts AT TIME ZONE 'UTC') + interval '3 months')::date;
  part text := format('permit_versions_%s_q%s', extract(year FROM lo), extract(quarter FROM lo));
BEGIN
  IF to_regclass(part) IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('permit_versions_partition'));
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF permit_versions FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    END IF;
  END IF;
  RETURN part;
END $$;
SELECT ensure_permit_version_partition(q) FROM generate_series('2024-01-01'::timestamptz, '2030-10-01', '3 months') AS q;

-- The latest known state of each filing (status number + sequence): what the next
-- snapshot is diffed against. Hashes decide; the content itself is read from the
-- latest version only for filings whose raw bytes changed.
CREATE TABLE permit_filings (
  permit_id uuid NOT NULL REFERENCES permits(id),
  sequence smallint NOT NULL,
  version_id uuid NOT NULL,
  version_seen_at timestamptz NOT NULL, -- with version_id, the latest version's primary key
  version_hash text NOT NULL,
  raw_hash text NOT NULL,              -- raw record last seen for this filing
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  PRIMARY KEY (permit_id, sequence)
);

-- The current version of every permit: the latest content of its lowest sequence.
-- A maintained table (not a view) so map tiles and lists read one narrow row per permit.
CREATE TABLE permits_current (
  permit_id uuid PRIMARY KEY REFERENCES permits(id),
  version_id uuid NOT NULL,
  source text NOT NULL,
  status_number text NOT NULL,
  sequence smallint NOT NULL,
  api_number text,
  operator_id uuid REFERENCES operators(id),
  operator_number text,
  operator_name text,
  lease_name text,
  well_number text,
  county_code text,
  county text,
  district text,
  filing_purpose text,
  filing_purpose_code text,
  wellbore_profile text,
  total_depth integer,
  status text,
  well_status text,
  filed_date date,
  issued_date date,
  amended_date date,
  spud_date date,
  expiration_date date,
  amendment_count smallint NOT NULL DEFAULT 0,
  effective_at timestamptz NOT NULL,
  first_seen_at timestamptz NOT NULL,
  source_seen_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  geom geometry(Point, 4326),
  bhl_geom geometry(MultiPoint, 4326),
  location_carried boolean NOT NULL DEFAULT false
);
CREATE INDEX permits_current_geom_idx ON permits_current USING gist (geom);
CREATE INDEX permits_current_bhl_idx ON permits_current USING gist (bhl_geom);
CREATE INDEX permits_current_issued_idx ON permits_current (issued_date DESC);
CREATE INDEX permits_current_filed_idx ON permits_current (filed_date DESC);
CREATE INDEX permits_current_operator_idx ON permits_current (operator_id, issued_date DESC);
CREATE INDEX permits_current_county_idx ON permits_current (county_code, issued_date DESC);
CREATE INDEX permits_current_district_idx ON permits_current (district, issued_date DESC);
-- No single-column indexes on status, filing purpose or profile: a handful of values
-- each, which the planner does not use alone; filters combine them with the indexed
-- space, county, district, operator and dates above.
CREATE INDEX permits_current_api_idx ON permits_current (api_number);
CREATE INDEX permits_current_status_no_idx ON permits_current (status_number);

-- The "what changed" feed that alerting consumes by cursor (id order).
CREATE TABLE permit_changes (
  id bigserial PRIMARY KEY,
  permit_id uuid NOT NULL REFERENCES permits(id),
  permit_version_id uuid NOT NULL,
  sequence smallint NOT NULL,
  change_type text NOT NULL CHECK (change_type IN
    ('new', 'amended', 'status_changed', 'location_changed', 'spudded', 'corrected')),
  details jsonb,
  ingestion_run_id uuid NOT NULL REFERENCES ingestion_runs(id),
  source_seen_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT permit_changes_dedupe UNIQUE (permit_version_id, change_type)
);
CREATE INDEX permit_changes_created_idx ON permit_changes (created_at);
CREATE INDEX permit_changes_seen_idx ON permit_changes (source_seen_at);
CREATE INDEX permit_changes_permit_idx ON permit_changes (permit_id);
CREATE INDEX permit_changes_type_idx ON permit_changes (change_type, created_at);

CREATE TABLE wells (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source_well_id text,
  operator_id uuid REFERENCES operators(id),
  api text,
  geom geometry(Point, 4326),
  spud_date date,
  status text,
  attributes jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX wells_source_key ON wells (source_well_id) WHERE source_well_id IS NOT NULL;
CREATE INDEX wells_api_idx ON wells (api);
CREATE INDEX wells_spud_idx ON wells (spud_date DESC);
CREATE INDEX wells_geom_idx ON wells USING gist (geom);
CREATE INDEX wells_operator_idx ON wells (operator_id);

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

-- 5) grants: the application role reads and writes, but the raw layer is append-only
-- and it owns nothing.
GRANT USAGE ON SCHEMA public TO {APP_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
REVOKE UPDATE, DELETE ON permit_raw_records FROM {APP_ROLE};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
GRANT EXECUTE ON FUNCTION app_workspace_id(), app_user_id(), ensure_permit_version_partition(timestamptz) TO {APP_ROLE};
ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE};
ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE};
"""

DOWNGRADE = f"""
ALTER DEFAULT PRIVILEGES REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE};
ALTER DEFAULT PRIVILEGES REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE};
DROP TABLE operator_stats_daily, wells, permit_changes, permits_current, permit_filings, permit_versions,
  permits, operator_aliases, operators, ingestion_quarantine, data_quality_checks,
  permit_raw_records, ingestion_runs, workspace_members, workspaces, users CASCADE;
DROP FUNCTION ensure_permit_version_partition(timestamptz);
DROP FUNCTION app_user_id();
DROP FUNCTION app_workspace_id();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
