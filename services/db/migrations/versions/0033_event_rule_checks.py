"""An event's rule key is checked once per statement, not once per event; and the events'
workspace index goes.

The evaluator writes a batch's events in one INSERT (63,200 for 7,308 changes against
10,000 areas). The foreign key (alert_rule_id, workspace_id) -> alert_rules (id,
workspace_id) checked them one by one, a trigger call and a lookup each: 0.3 s of the
evaluation. The same promises are now kept per statement:
- every event names a rule that exists, in the event's own workspace: an AFTER INSERT OR
  UPDATE statement trigger reads the statement's new rows (a transition table) and fails
  the statement with a foreign key violation otherwise;
- the rules those events name are locked FOR KEY SHARE by the same trigger, as the key's
  check did: a rule being deleted meanwhile waits for the batch, and its delete then sees
  and takes the batch's events;
- deleting rules deletes their events (a statement trigger on alert_rules, which also fires
  when a workspace's deletion cascades to its rules), and a rule with events cannot change
  its id or workspace.
The functions run as the owner, as a foreign key's checks do, so RLS does not hide a rule
from the check nor an event from the delete.

`alert_events_workspace_idx` (workspace, time) served one query, the value summary of a
trial's notice, which now finds a workspace's events through its rules.

Revision ID: 0033_event_rule_checks
Revises: 0032_change_messages
Create Date: 2026-11-30
"""
from alembic import op

revision = "0033_event_rule_checks"
down_revision = "0032_change_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      ALTER TABLE alert_events DROP CONSTRAINT alert_events_rule_in_workspace;
      DROP INDEX alert_events_workspace_idx;

      CREATE FUNCTION alert_events_check_rules() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        bad record;
      BEGIN
        PERFORM 1 FROM alert_rules r WHERE r.id IN (SELECT DISTINCT n.alert_rule_id FROM new_events n) FOR KEY SHARE OF r;
        -- a batch's events name a few thousand rules: each (rule, workspace) is looked up once
        SELECT n.alert_rule_id, n.workspace_id INTO bad FROM (SELECT DISTINCT alert_rule_id, workspace_id FROM new_events) n
        WHERE NOT EXISTS (SELECT 1 FROM alert_rules r WHERE r.id = n.alert_rule_id AND r.workspace_id = n.workspace_id) LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'insert or update on table "alert_events" violates its rule key'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (alert_rule_id, workspace_id)=(%s, %s) is not present in table "alert_rules".',
                                  bad.alert_rule_id, bad.workspace_id);
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER alert_events_rule_key_insert AFTER INSERT ON alert_events
        REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION alert_events_check_rules();
      CREATE TRIGGER alert_events_rule_key_update AFTER UPDATE ON alert_events
        REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION alert_events_check_rules();

      CREATE FUNCTION alert_rules_delete_events() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        DELETE FROM alert_events e USING old_rules o WHERE e.alert_rule_id = o.id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER alert_rules_events_go AFTER DELETE ON alert_rules
        REFERENCING OLD TABLE AS old_rules FOR EACH STATEMENT EXECUTE FUNCTION alert_rules_delete_events();

      CREATE FUNCTION alert_rules_keep_key() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM alert_events e WHERE e.alert_rule_id = OLD.id) THEN
          RAISE EXCEPTION 'update on table "alert_rules" would move the events of rule %', OLD.id
            USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER alert_rules_key_kept BEFORE UPDATE OF id, workspace_id ON alert_rules
        FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
        EXECUTE FUNCTION alert_rules_keep_key();
    """)


def downgrade() -> None:
    op.execute("""
      DROP TRIGGER alert_rules_key_kept ON alert_rules;
      DROP FUNCTION alert_rules_keep_key();
      DROP TRIGGER alert_rules_events_go ON alert_rules;
      DROP FUNCTION alert_rules_delete_events();
      DROP TRIGGER alert_events_rule_key_update ON alert_events;
      DROP TRIGGER alert_events_rule_key_insert ON alert_events;
      DROP FUNCTION alert_events_check_rules();
      ALTER TABLE alert_events ADD CONSTRAINT alert_events_rule_in_workspace FOREIGN KEY (alert_rule_id, workspace_id)
        REFERENCES alert_rules (id, workspace_id) ON DELETE CASCADE;
      CREATE INDEX alert_events_workspace_idx ON alert_events (workspace_id, triggered_at DESC);
    """)
