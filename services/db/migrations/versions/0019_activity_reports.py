"""AOI Activity Reports: a report is an export job of its own kind (a PDF with an XLSX of the
same tables beside it), for one area and period; schedules make one every week or month in
the workspace's chosen time zone and mail it to the recipients through the outbox, with the
PDF attached. A report keeps the figures it showed (`summary`), so the next one can say what
changed since.

Revision ID: 0019_activity_reports
Revises: 0018_month_to_date
Create Date: 2026-11-29
"""
from alembic import op

revision = "0019_activity_reports"
down_revision = "0018_month_to_date"
branch_labels = None
depends_on = None

APP = "permitwatch_app"


def upgrade() -> None:
    op.execute(f"""
      ALTER TABLE aois ADD CONSTRAINT aois_id_workspace UNIQUE (id, workspace_id);
      CREATE TABLE report_schedules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        aoi_id uuid NOT NULL,
        cadence text NOT NULL CHECK (cadence IN ('weekly', 'monthly')),
        weekday smallint NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
        send_at time NOT NULL DEFAULT '07:00',
        timezone text NOT NULL DEFAULT 'America/Chicago',
        recipients text[] NOT NULL CHECK (cardinality(recipients) BETWEEN 1 AND 10),
        enabled boolean NOT NULL DEFAULT true,
        next_run_at timestamptz NOT NULL,
        last_run_at timestamptz,
        created_by uuid REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (id, workspace_id),
        FOREIGN KEY (aoi_id, workspace_id) REFERENCES aois (id, workspace_id) ON DELETE CASCADE
      );
      CREATE INDEX report_schedules_due_idx ON report_schedules (next_run_at) WHERE enabled;
      CREATE INDEX report_schedules_aoi_idx ON report_schedules (aoi_id);
      ALTER TABLE report_schedules ENABLE ROW LEVEL SECURITY;
      ALTER TABLE report_schedules FORCE ROW LEVEL SECURITY;
      CREATE POLICY workspace_isolation ON report_schedules TO {APP}
        USING (workspace_id = app_workspace_id()) WITH CHECK (workspace_id = app_workspace_id());
      CREATE POLICY owner_maintenance ON report_schedules TO permitwatch_owner USING (true) WITH CHECK (true);
      GRANT SELECT, INSERT, UPDATE, DELETE ON report_schedules TO {APP};

      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_job_type_check;
      ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_job_type_check CHECK (job_type IN ('permits', 'areas', 'report'));
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_format_check;
      ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_format_check
        CHECK (format IN ('csv', 'xlsx', 'geojson', 'kml', 'shapefile', 'pdf'));
      ALTER TABLE export_jobs
        ADD COLUMN aoi_id uuid,
        ADD COLUMN schedule_id uuid,
        ADD COLUMN attachment_key text,
        ADD COLUMN attachment_name text,
        ADD COLUMN summary jsonb,
        ADD CONSTRAINT export_jobs_aoi FOREIGN KEY (aoi_id, workspace_id) REFERENCES aois (id, workspace_id) ON DELETE CASCADE,
        ADD CONSTRAINT export_jobs_schedule FOREIGN KEY (schedule_id) REFERENCES report_schedules (id) ON DELETE SET NULL,
        ADD CONSTRAINT export_jobs_report_has_area CHECK ((job_type = 'report') = (aoi_id IS NOT NULL));
      CREATE INDEX export_jobs_reports_idx ON export_jobs (aoi_id, finished_at DESC) WHERE job_type = 'report' AND status IN ('completed', 'expired');

      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind_check;
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind_check CHECK (kind IN ('alert', 'digest', 'report'));
    """)


def downgrade() -> None:
    op.execute("""
      DELETE FROM notification_outbox WHERE kind = 'report';
      ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind_check;
      ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind_check CHECK (kind IN ('alert', 'digest'));
      DELETE FROM export_jobs WHERE job_type = 'report';
      DROP INDEX export_jobs_reports_idx;
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_report_has_area, DROP CONSTRAINT export_jobs_schedule, DROP CONSTRAINT export_jobs_aoi,
        DROP COLUMN aoi_id, DROP COLUMN schedule_id, DROP COLUMN attachment_key, DROP COLUMN attachment_name, DROP COLUMN summary;
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_format_check;
      ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_format_check CHECK (format IN ('csv', 'xlsx', 'geojson', 'kml', 'shapefile'));
      ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_job_type_check;
      ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_job_type_check CHECK (job_type IN ('permits', 'areas'));
      DROP TABLE report_schedules;
      ALTER TABLE aois DROP CONSTRAINT aois_id_workspace;
    """)
