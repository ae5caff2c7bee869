"""Alert events and their outbox rows: integrity checked once per statement, not per row.

An evaluation batch writes one event and one outbox row per match (63,200 each for the
benchmark's 7,308 changes against 10,000 areas). Each row-level foreign key was a lookup and
a row lock per inserted row: six of them cost about 3 s of a batch whose matching takes 3.5 s.
The same guarantees now come from statement-level triggers over the statement's new rows,
which check every parent in one join and lock each distinct parent once (FOR KEY SHARE, as a
foreign key does), and they check more than the keys did: an event's rule must belong to the
event's workspace, and an outbox row's event, rule and workspace must agree.

- Parents deleted: a rule takes its events along (as ON DELETE CASCADE did), an event its
  outbox rows, a workspace its outbox rows; a deleted rule leaves its digests' outbox rows
  with no rule (ON DELETE SET NULL). A user with outbox rows cannot be deleted (users are
  disabled, never deleted; the key refused it too).
- Events are deleted only with their rule or workspace, so locking an outbox row's rule
  protects its event until the insert commits.
- The keys themselves never change after insert; changing one is refused (a rule's removal
  setting it to NULL excepted).

The dedupe key becomes the pair it hashed: one event per (rule, change); the rule fixes the
workspace and the change the permit. That unique index also serves the rule's events, so
the separate rule index goes; the outbox's unique (event, channel, user) index, no longer
partial, serves lookups by event, so the separate event index goes.

And the outbox's digest key (a digest's members point at it) gets its index: without one,
deleting outbox rows checked every deleted row by scanning the table, so clearing a
workspace or a rule with 63,000 deliveries took six minutes instead of a second.

Revision ID: 0026_set_based_alert_integrity
Revises: 0025_product_metrics
Create Date: 2026-11-30
"""
from alembic import op

revision = "0026_set_based_alert_integrity"
down_revision = "0025_product_metrics"
branch_labels = None
depends_on = None

# Runs as the owner (SECURITY DEFINER): the checks see every workspace's rows, as the
# foreign keys' own lookups did, whichever role inserts. Sequential scans are off inside the
# checks: a table emptied or filled in this transaction has stale statistics, and a plan
# that scans it once per new row is quadratic (a batch's 63,200 deliveries checked against
# 63,200 events took minutes); index lookups cost the same whatever the statistics say.
FUNCTIONS = """
CREATE FUNCTION alert_events_check_parents() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public SET enable_seqscan = off AS $$
DECLARE bad record;
BEGIN
  PERFORM 1 FROM alert_rules r WHERE r.id IN (SELECT alert_rule_id FROM added) ORDER BY r.id FOR KEY SHARE;
  SELECT a.alert_rule_id, a.workspace_id INTO bad FROM (SELECT DISTINCT alert_rule_id, workspace_id FROM added) a
  WHERE NOT EXISTS (SELECT 1 FROM alert_rules r WHERE r.id = a.alert_rule_id AND r.workspace_id = a.workspace_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'an alert event names rule %, which does not exist in workspace %', bad.alert_rule_id, bad.workspace_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION notification_outbox_check_parents() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public SET enable_seqscan = off AS $$
DECLARE bad text;
BEGIN
  PERFORM 1 FROM workspaces w WHERE w.id IN (SELECT workspace_id FROM added) ORDER BY w.id FOR KEY SHARE;
  PERFORM 1 FROM users u WHERE u.id IN (SELECT user_id FROM added) ORDER BY u.id FOR KEY SHARE;
  PERFORM 1 FROM alert_rules r
  WHERE r.id IN (SELECT alert_rule_id FROM added
                 UNION SELECT e.alert_rule_id FROM added a JOIN alert_events e ON e.id = a.alert_event_id WHERE a.alert_rule_id IS NULL)
  ORDER BY r.id FOR KEY SHARE;
  -- Each distinct parent once; only the events are one lookup per row.
  SELECT 'workspace ' || a.workspace_id INTO bad FROM (SELECT DISTINCT workspace_id FROM added) a
  WHERE NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = a.workspace_id) LIMIT 1;
  IF bad IS NULL THEN
    SELECT 'user ' || a.user_id INTO bad FROM (SELECT DISTINCT user_id FROM added WHERE user_id IS NOT NULL) a
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id) LIMIT 1;
  END IF;
  IF bad IS NULL THEN
    SELECT 'rule ' || a.alert_rule_id INTO bad FROM (SELECT DISTINCT alert_rule_id, workspace_id FROM added WHERE alert_rule_id IS NOT NULL) a
    WHERE NOT EXISTS (SELECT 1 FROM alert_rules r WHERE r.id = a.alert_rule_id AND r.workspace_id = a.workspace_id) LIMIT 1;
  END IF;
  IF bad IS NULL THEN
    SELECT 'alert event ' || a.alert_event_id INTO bad FROM added a
    WHERE a.alert_event_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM alert_events e WHERE e.id = a.alert_event_id AND e.workspace_id = a.workspace_id
                                     AND (a.alert_rule_id IS NULL OR e.alert_rule_id = a.alert_rule_id)) LIMIT 1;
  END IF;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'an outbox row names %, which does not exist or belongs elsewhere', bad USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION alert_keys_never_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%: the workspace, rule, event and user of a row do not change once written', TG_TABLE_NAME
    USING ERRCODE = 'foreign_key_violation';
END $$;

CREATE FUNCTION alert_rules_take_events() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
BEGIN
  UPDATE notification_outbox o SET alert_rule_id = NULL FROM gone g WHERE o.alert_rule_id = g.id AND o.alert_event_id IS NULL;
  DELETE FROM alert_events e USING gone g WHERE e.alert_rule_id = g.id;
  RETURN NULL;
END $$;

CREATE FUNCTION alert_events_take_outbox() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
BEGIN
  DELETE FROM notification_outbox o USING gone g WHERE o.alert_event_id = g.id;
  RETURN NULL;
END $$;

CREATE FUNCTION workspaces_take_outbox() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
BEGIN
  DELETE FROM alert_events e USING gone g WHERE e.workspace_id = g.id;
  DELETE FROM notification_outbox o USING gone g WHERE o.workspace_id = g.id;
  RETURN NULL;
END $$;

CREATE FUNCTION users_keep_outbox() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM notification_outbox o JOIN gone g ON o.user_id = g.id) THEN
    RAISE EXCEPTION 'a user with alert deliveries cannot be deleted; disable the account instead'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER alert_events_parents AFTER INSERT ON alert_events REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION alert_events_check_parents();
CREATE TRIGGER alert_events_keys BEFORE UPDATE OF workspace_id, alert_rule_id ON alert_events FOR EACH ROW
  WHEN (NEW.workspace_id IS DISTINCT FROM OLD.workspace_id OR NEW.alert_rule_id IS DISTINCT FROM OLD.alert_rule_id)
  EXECUTE FUNCTION alert_keys_never_change();
CREATE TRIGGER notification_outbox_parents AFTER INSERT ON notification_outbox REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION notification_outbox_check_parents();
CREATE TRIGGER notification_outbox_keys BEFORE UPDATE OF workspace_id, alert_event_id, user_id, alert_rule_id ON notification_outbox
  FOR EACH ROW WHEN (NEW.workspace_id IS DISTINCT FROM OLD.workspace_id OR NEW.alert_event_id IS DISTINCT FROM OLD.alert_event_id
                     OR NEW.user_id IS DISTINCT FROM OLD.user_id
                     OR (NEW.alert_rule_id IS NOT NULL AND NEW.alert_rule_id IS DISTINCT FROM OLD.alert_rule_id))
  EXECUTE FUNCTION alert_keys_never_change();
CREATE TRIGGER alert_rules_events AFTER DELETE ON alert_rules REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION alert_rules_take_events();
CREATE TRIGGER alert_events_outbox AFTER DELETE ON alert_events REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION alert_events_take_outbox();
CREATE TRIGGER workspaces_outbox AFTER DELETE ON workspaces REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION workspaces_take_outbox();
CREATE TRIGGER users_outbox AFTER DELETE ON users REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION users_keep_outbox();
"""

ROW_KEYS = {
    "alert_events": ["alert_events_workspace_id_fkey", "alert_events_alert_rule_id_fkey"],
    "notification_outbox": ["notification_outbox_workspace_id_fkey", "notification_outbox_alert_event_id_fkey",
                            "notification_outbox_user_id_fkey", "notification_outbox_alert_rule_id_fkey"],
}


def upgrade() -> None:
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)
    for table, keys in ROW_KEYS.items():
        op.execute(f"ALTER TABLE {table} " + ", ".join(f"DROP CONSTRAINT {k}" for k in keys))
    op.execute("""
      CREATE UNIQUE INDEX alert_events_once ON alert_events (alert_rule_id, permit_change_id);
      ALTER TABLE alert_events DROP COLUMN dedupe_key;
      DROP INDEX alert_events_rule_idx;
      DROP INDEX notification_outbox_once;
      CREATE UNIQUE INDEX notification_outbox_once ON notification_outbox (alert_event_id, channel, user_id);
      DROP INDEX notification_outbox_event_idx;
      CREATE INDEX notification_outbox_digest_idx ON notification_outbox (digest_id) WHERE digest_id IS NOT NULL;
    """)


def downgrade() -> None:
    op.execute("""
      DROP INDEX notification_outbox_digest_idx;
      CREATE INDEX notification_outbox_event_idx ON notification_outbox (alert_event_id);
      DROP INDEX notification_outbox_once;
      CREATE UNIQUE INDEX notification_outbox_once ON notification_outbox (alert_event_id, channel, user_id)
        WHERE alert_event_id IS NOT NULL AND kind = 'alert';
      CREATE INDEX alert_events_rule_idx ON alert_events (alert_rule_id, triggered_at DESC);
      ALTER TABLE alert_events ADD COLUMN dedupe_key text;
      UPDATE alert_events SET dedupe_key = encode(sha256(convert_to(
        workspace_id::text || '|' || alert_rule_id::text || '|' || permit_id::text || '|' || coalesce(permit_change_id::text, id::text), 'UTF8')), 'hex');
      ALTER TABLE alert_events ALTER COLUMN dedupe_key SET NOT NULL, ADD CONSTRAINT alert_events_dedupe_key_key UNIQUE (dedupe_key);
      DROP INDEX alert_events_once;
      ALTER TABLE alert_events
        ADD CONSTRAINT alert_events_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE,
        ADD CONSTRAINT alert_events_alert_rule_id_fkey FOREIGN KEY (alert_rule_id) REFERENCES alert_rules(id) ON DELETE CASCADE;
      ALTER TABLE notification_outbox
        ADD CONSTRAINT notification_outbox_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE,
        ADD CONSTRAINT notification_outbox_alert_event_id_fkey FOREIGN KEY (alert_event_id) REFERENCES alert_events(id) ON DELETE CASCADE,
        ADD CONSTRAINT notification_outbox_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id),
        ADD CONSTRAINT notification_outbox_alert_rule_id_fkey FOREIGN KEY (alert_rule_id) REFERENCES alert_rules(id) ON DELETE SET NULL;
      DROP TRIGGER users_outbox ON users;
      DROP TRIGGER workspaces_outbox ON workspaces;
      DROP TRIGGER alert_events_outbox ON alert_events;
      DROP TRIGGER alert_rules_events ON alert_rules;
      DROP TRIGGER notification_outbox_keys ON notification_outbox;
      DROP TRIGGER notification_outbox_parents ON notification_outbox;
      DROP TRIGGER alert_events_keys ON alert_events;
      DROP TRIGGER alert_events_parents ON alert_events;
      DROP FUNCTION users_keep_outbox(), workspaces_take_outbox(), alert_events_take_outbox(), alert_rules_take_events(),
                    alert_keys_never_change(), notification_outbox_check_parents(), alert_events_check_parents();
    """)
