"""An alert's message is stored in two parts: the change's once per change, the rule's as
columns of the event.

Every alert about a change says the same about the permit (its number, operator, lease,
place, what changed, when the RRC published it); only the rule's part differs (the rule's
and area's names, the distance, what matched). The evaluator built one JSON object per
event holding both, 63,200 of them for a batch of 7,308 changes. Now:
- `change_messages` holds the change's part, written once per matched change and frozen
  when the change is first evaluated, as before;
- an event's own part is four columns (`distance_m`, `aoi_name`, `matched_by`, `rule_name`);
- `alert_event_messages` joins them into the message readers read, `payload` (events
  written before keep their whole `event_payload`, which the view uses as it was). The view
  runs as its caller, so RLS on `alert_events` still decides which events a workspace sees.

Revision ID: 0032_change_messages
Revises: 0031_in_app_per_rule
Create Date: 2026-11-30
"""
from alembic import op

revision = "0032_change_messages"
down_revision = "0031_in_app_per_rule"
branch_labels = None
depends_on = None

APP, WORKER = "permitwatch_app", "permitwatch_worker"


def upgrade() -> None:
    op.execute(f"""
      CREATE TABLE change_messages (
        permit_change_id bigint PRIMARY KEY REFERENCES permit_changes (id) ON DELETE CASCADE,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now());
      GRANT SELECT, INSERT ON change_messages TO {WORKER};
      GRANT SELECT ON change_messages TO {APP};
      ALTER TABLE alert_events ADD COLUMN distance_m real, ADD COLUMN aoi_name text, ADD COLUMN matched_by text,
                               ADD COLUMN rule_name text;
      CREATE VIEW alert_event_messages WITH (security_invoker = true) AS
        SELECT e.id, e.workspace_id, e.alert_rule_id, e.permit_id, e.permit_version_id, e.permit_change_id, e.triggered_at,
               coalesce(m.payload, '{{}}'::jsonb)
               || coalesce(e.event_payload, jsonb_build_object('distance_m', round(e.distance_m::numeric, 1), 'aoi_name', e.aoi_name,
                                                               'matched_by', e.matched_by, 'rule_name', e.rule_name)) AS payload
        FROM alert_events e LEFT JOIN change_messages m ON m.permit_change_id = e.permit_change_id;
      GRANT SELECT ON alert_event_messages TO {APP}, {WORKER};
    """)


def downgrade() -> None:
    op.execute("""
      UPDATE alert_events e SET event_payload = x.payload FROM alert_event_messages x WHERE x.id = e.id AND e.event_payload IS NULL;
      DROP VIEW alert_event_messages;
      ALTER TABLE alert_events DROP COLUMN distance_m, DROP COLUMN aoi_name, DROP COLUMN matched_by, DROP COLUMN rule_name;
      DROP TABLE change_messages;
    """)
