"""One in-app outbox row per rule, recipient and evaluation batch, not one per event.

An in-app alert is delivered by writing the inbox row: the notification itself records
each alert (one per event and member, now a unique key), so an outbox row per event only
said "to do" 63,200 times for a batch whose 7,206 rules matched. A batch's in-app row for
a rule names the rule and the changes it covers, `change_from` to `change_upto` (the rule's
events there are the ones `alert_events_once` finds by range); delivering it writes one
notification per event in one transaction. Rows per event stay where each message is its
own: SMS, e-mail, digests' held rows, webhooks, and in-app rows planned one by one while a
rule took quota (their note differs from event to event).

- `notification_outbox.alert_rule_id` cascades: a deleted rule takes its batch rows (the
  rows per event already went with their events);
- `notifications.outbox_id` says which outbox row delivered a notification (it was found by
  the in-app row's provider message id, which cannot name many notifications).

Revision ID: 0031_in_app_per_rule
Revises: 0030_event_keys
Create Date: 2026-11-30
"""
from alembic import op

revision = "0031_in_app_per_rule"
down_revision = "0030_event_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
      ALTER TABLE notification_outbox
        ADD COLUMN change_from bigint,
        ADD COLUMN change_upto bigint,
        ADD CONSTRAINT notification_outbox_batch_shape CHECK (
          (change_from IS NULL AND change_upto IS NULL)
          OR (change_from <= change_upto AND alert_event_id IS NULL AND alert_rule_id IS NOT NULL AND kind = 'alert'
              AND channel = 'in_app')),
        DROP CONSTRAINT notification_outbox_alert_rule_id_fkey,
        ADD CONSTRAINT notification_outbox_alert_rule_id_fkey FOREIGN KEY (alert_rule_id) REFERENCES alert_rules (id) ON DELETE CASCADE;
      CREATE UNIQUE INDEX notification_outbox_batch_once ON notification_outbox (alert_rule_id, change_from, user_id)
        WHERE change_from IS NOT NULL;
      CREATE INDEX notification_outbox_rule_idx ON notification_outbox (alert_rule_id) WHERE alert_rule_id IS NOT NULL;

      ALTER TABLE notifications ADD COLUMN outbox_id bigint REFERENCES notification_outbox (id) ON DELETE SET NULL;
      UPDATE notifications n SET outbox_id = o.id FROM notification_outbox o
       WHERE o.channel = 'in_app' AND o.provider_message_id = n.id::text;
      CREATE INDEX notifications_outbox_idx ON notifications (outbox_id) WHERE outbox_id IS NOT NULL;
      DROP INDEX notifications_event_idx;
      CREATE UNIQUE INDEX notifications_once ON notifications (alert_event_id, user_id) WHERE alert_event_id IS NOT NULL;
    """)


def downgrade() -> None:
    op.execute("""
      DROP INDEX notifications_once;
      CREATE INDEX notifications_event_idx ON notifications (alert_event_id) WHERE alert_event_id IS NOT NULL;
      ALTER TABLE notifications DROP COLUMN outbox_id;
      DELETE FROM notification_outbox WHERE change_from IS NOT NULL;
      DROP INDEX notification_outbox_rule_idx;
      DROP INDEX notification_outbox_batch_once;
      ALTER TABLE notification_outbox
        DROP CONSTRAINT notification_outbox_alert_rule_id_fkey,
        ADD CONSTRAINT notification_outbox_alert_rule_id_fkey FOREIGN KEY (alert_rule_id) REFERENCES alert_rules (id) ON DELETE SET NULL,
        DROP CONSTRAINT notification_outbox_batch_shape,
        DROP COLUMN change_upto,
        DROP COLUMN change_from;
    """)
