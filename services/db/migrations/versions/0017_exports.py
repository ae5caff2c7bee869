"""Export jobs as the exports feature runs them: what is exported (permits of a search, or
the workspace's areas) in which format, with a progress figure, the stored file's key, name,
size and digest, the attempts made and a heartbeat (a job whose worker died is retried, never
left half done), and 'expired' once the file is swept. The export worker runs as the
application role inside the job's workspace (RLS), so it reads only what that workspace may.

Revision ID: 0017_exports
Revises: 0016_operator_stats_monthly
Create Date: 2026-11-29
"""
from alembic import op

revision = "0017_exports"
down_revision = "0016_operator_stats_monthly"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      DELETE FROM export_jobs;  -- nothing produced them before this feature
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_job_type_check;
      ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_job_type_check CHECK (job_type IN ('permits', 'areas'));
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_status_check;
      ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_status_check
        CHECK (status IN ('queued', 'running', 'completed', 'failed', 'expired'));
      ALTER TABLE export_jobs DROP COLUMN output_url;
      ALTER TABLE export_jobs
        ADD COLUMN format text NOT NULL CHECK (format IN ('csv', 'xlsx', 'geojson', 'kml', 'shapefile')),
        ADD COLUMN title text NOT NULL DEFAULT '',
        ADD COLUMN progress real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
        ADD COLUMN rows_expected integer,
        ADD COLUMN storage_key text,
        ADD COLUMN file_name text,
        ADD COLUMN size_bytes bigint,
        ADD COLUMN sha256 text,
        ADD COLUMN attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN heartbeat_at timestamptz,
        ADD CONSTRAINT export_jobs_file_when_completed CHECK ((status = 'completed') = (storage_key IS NOT NULL));
      CREATE INDEX export_jobs_expiry_idx ON export_jobs (expires_at) WHERE status = 'completed';
    """)


def downgrade() -> None:
    op.execute("""
      DELETE FROM export_jobs;
      DROP INDEX export_jobs_expiry_idx;
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_file_when_completed,
        DROP COLUMN format, DROP COLUMN title, DROP COLUMN progress, DROP COLUMN rows_expected, DROP COLUMN storage_key,
        DROP COLUMN file_name, DROP COLUMN size_bytes, DROP COLUMN sha256, DROP COLUMN attempts, DROP COLUMN heartbeat_at,
        ADD COLUMN output_url text;
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_status_check;
      ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed'));
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_job_type_check;
      ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_job_type_check
        CHECK (job_type IN ('csv_export', 'xlsx_export', 'aoi_activity_report'));
    """)
