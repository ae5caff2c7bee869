"""An alert event's keys, leaner and stricter:
- one event per rule and change is a unique (alert_rule_id, permit_change_id): the same
  promise as the sha256 `dedupe_key` of workspace, rule, permit and change (a rule has one
  workspace, a change one permit), without hashing a text per match and indexing 64
  characters. That index also counts a rule's events, so `alert_events_rule_idx` goes;
- the rule and the workspace are one key, (alert_rule_id, workspace_id) to the rule's
  (id, workspace_id): one check per event instead of two, and an event can no longer sit in
  another workspace than its rule (RLS reads events by their workspace). Deleting a
  workspace still takes its events, through its rules.
Evaluating 7,308 changes against 10,000 areas (63,200 events): the event insert 2.1 to 2.4 s
before.

Revision ID: 0030_event_keys
Revises: 0029_completion_on_current
Create Date: 2026-11-30
"""
from alembic import op

revision = "0030_event_keys"
down_revision = "0029_completion_on_current"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_id_workspace UNIQUE (id, workspace_id);
      ALTER TABLE alert_events
        DROP CONSTRAINT alert_events_alert_rule_id_fkey,
        DROP CONSTRAINT alert_events_workspace_id_fkey,
        ADD CONSTRAINT alert_events_rule_in_workspace FOREIGN KEY (alert_rule_id, workspace_id)
          REFERENCES alert_rules (id, workspace_id) ON DELETE CASCADE,
        ADD CONSTRAINT alert_events_once UNIQUE (alert_rule_id, permit_change_id),
        DROP COLUMN dedupe_key;
      DROP INDEX alert_events_rule_idx;
    """)


def downgrade() -> None:
    op.execute("""
      ALTER TABLE alert_events ADD COLUMN dedupe_key text;
      UPDATE alert_events SET dedupe_key = encode(sha256(convert_to(workspace_id::text || '|' || alert_rule_id::text || '|' ||
                                                                   permit_id::text || '|' || coalesce(permit_change_id::text, id::text), 'UTF8')), 'hex');
      ALTER TABLE alert_events ALTER COLUMN dedupe_key SET NOT NULL,
        ADD CONSTRAINT alert_events_dedupe_key_key UNIQUE (dedupe_key),
        DROP CONSTRAINT alert_events_once,
        DROP CONSTRAINT alert_events_rule_in_workspace,
        ADD CONSTRAINT alert_events_alert_rule_id_fkey FOREIGN KEY (alert_rule_id) REFERENCES alert_rules (id) ON DELETE CASCADE,
        ADD CONSTRAINT alert_events_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE;
      CREATE INDEX alert_events_rule_idx ON alert_events (alert_rule_id, triggered_at DESC);
      ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_id_workspace;
    """)
