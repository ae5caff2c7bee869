"""Accounts as users manage them, delivery receipts, and a searchable legal description:
time zone, phone verification
codes, e-mail change tokens, SMS opt-out (STOP/START) and channel pauses after a hard
bounce or an undeliverable number; receipts on outbox rows; webhook replay protection.

Revision ID: 0007_accounts_receipts
Revises: 0006_operations
Create Date: 2026-11-29
"""
from alembic import op

revision = "0007_accounts_receipts"
down_revision = "0006_operations"
branch_labels = None
depends_on = None

APP = "permitwatch_app"

UPGRADE = f"""
-- The legal description as one searchable line (services.permits.legal writes it on ingestion;
-- this fills the permits already loaded the same way).
ALTER TABLE permits_current ADD COLUMN legal_text text;
UPDATE permits_current c SET legal_text = coalesce(v.attributes->'surface_legal'->>'text', nullif(concat_ws(', ',
    'Section ' || nullif(v.attributes->'surface_legal'->>'section', ''), 'Block ' || nullif(v.attributes->'surface_legal'->>'block', ''),
    nullif(v.attributes->'surface_legal'->>'survey', ''), 'A-' || nullif(v.attributes->'surface_legal'->>'abstract', '')), ''))
  FROM permit_versions v WHERE v.id = c.version_id AND v.attributes ? 'surface_legal';
-- The search box looks for part of a lease name or legal description anywhere in it:
-- trigram indexes answer "contains" without reading every permit.
CREATE INDEX permits_current_lease_trgm_idx ON permits_current USING gin (lease_name gin_trgm_ops);
CREATE INDEX permits_current_legal_trgm_idx ON permits_current USING gin (legal_text gin_trgm_ops);

ALTER TABLE users
  ADD COLUMN timezone text NOT NULL DEFAULT 'America/Chicago',
  -- STOP from the number (carriers require honouring it); START clears it.
  ADD COLUMN sms_opted_out_at timestamptz,
  -- An undeliverable number or a hard bounce pauses that channel for this person until
  -- the number or address is changed and verified again.
  ADD COLUMN sms_paused_reason text,
  ADD COLUMN sms_paused_at timestamptz,
  ADD COLUMN email_paused_reason text,
  ADD COLUMN email_paused_at timestamptz;
CREATE INDEX users_phone_idx ON users (phone) WHERE phone IS NOT NULL;

ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check CHECK (purpose IN ('verify_email', 'reset_password', 'change_email'));
ALTER TABLE user_tokens ADD COLUMN new_email text;

-- One pending phone verification per user: the code only as a hash, an expiry, tries and
-- sends counted so neither the code nor the SMS budget can be brute-forced.
CREATE TABLE phone_verifications (
  user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  phone text NOT NULL,
  code_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts smallint NOT NULL DEFAULT 0,
  sends smallint NOT NULL DEFAULT 1,
  first_sent_at timestamptz NOT NULL DEFAULT now(),
  last_sent_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE notification_outbox
  ADD COLUMN receipt text CHECK (receipt IN ('delivered', 'undelivered', 'bounced')),
  ADD COLUMN receipt_code text,
  ADD COLUMN receipt_at timestamptz;
CREATE INDEX notification_outbox_provider_idx ON notification_outbox (provider_message_id) WHERE provider_message_id IS NOT NULL;

-- Provider webhook calls already processed: a replayed call is refused.
CREATE TABLE webhook_events (
  provider text NOT NULL,
  event_key text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_key)
);

-- A receipt names an outbox row of some workspace; the webhook has no workspace context.
-- This function is the only way in: it changes a row only when the provider's message id
-- matches the one stored when the message was sent, and pauses that recipient's channel
-- when the provider says the address cannot be reached.
CREATE FUNCTION record_delivery_receipt(p_outbox bigint, p_channel text, p_message_id text, p_receipt text, p_code text,
                                        p_pause_reason text)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE target uuid;
BEGIN
  UPDATE notification_outbox SET receipt = p_receipt, receipt_code = p_code, receipt_at = now()
   WHERE id = p_outbox AND channel = p_channel AND provider_message_id IS NOT NULL
     AND starts_with(p_message_id, provider_message_id)
   RETURNING user_id INTO target;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF p_pause_reason IS NOT NULL AND target IS NOT NULL THEN
    IF p_channel = 'sms' THEN
      UPDATE users SET sms_paused_reason = p_pause_reason, sms_paused_at = now() WHERE id = target AND sms_paused_at IS NULL;
    ELSE
      UPDATE users SET email_paused_reason = p_pause_reason, email_paused_at = now() WHERE id = target AND email_paused_at IS NULL;
    END IF;
  END IF;
  RETURN true;
END $$;
REVOKE ALL ON FUNCTION record_delivery_receipt(bigint, text, text, text, text, text) FROM PUBLIC;

-- Closing an account spans workspaces (RLS shows one at a time): workspaces where the
-- person is alone go with them; elsewhere their name leaves what they made, and they
-- leave the rules' recipients. Only the person themself (the route checks the password)
-- calls these.
CREATE FUNCTION workspace_owned_alone_with_others(p_user uuid) RETURNS TABLE (name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT w.name FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = p_user AND m.role = 'owner'
  WHERE NOT EXISTS (SELECT 1 FROM workspace_members o WHERE o.workspace_id = w.id AND o.role = 'owner' AND o.user_id <> p_user)
    AND EXISTS (SELECT 1 FROM workspace_members o WHERE o.workspace_id = w.id AND o.user_id <> p_user)
$$;
CREATE FUNCTION delete_user_account(p_user uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM workspace_owned_alone_with_others(p_user)) THEN
    RAISE EXCEPTION 'the only owner of a workspace with other members cannot be deleted';
  END IF;
  DELETE FROM workspaces w WHERE EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id AND m.user_id = p_user)
     AND NOT EXISTS (SELECT 1 FROM workspace_members o WHERE o.workspace_id = w.id AND o.user_id <> p_user);
  UPDATE aois SET created_by = NULL WHERE created_by = p_user;
  UPDATE saved_searches SET created_by = NULL WHERE created_by = p_user;
  UPDATE alert_rules SET created_by = NULL WHERE created_by = p_user;
  UPDATE alert_rules SET recipients = array_remove(recipients, p_user) WHERE p_user = ANY(recipients);
  UPDATE notification_outbox SET user_id = NULL WHERE user_id = p_user;
  UPDATE workspace_invitations SET invited_by = NULL WHERE invited_by = p_user;
  DELETE FROM export_jobs WHERE created_by = p_user;
  DELETE FROM workspace_members WHERE user_id = p_user;
  INSERT INTO audit_log (workspace_id, actor_user_id, action, entity_type, entity_id) VALUES (NULL, p_user, 'user.deleted', 'user', p_user::text);
  DELETE FROM users WHERE id = p_user;
END $$;
REVOKE ALL ON FUNCTION workspace_owned_alone_with_others(uuid), delete_user_account(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION workspace_owned_alone_with_others(uuid), delete_user_account(uuid) TO {APP};
GRANT EXECUTE ON FUNCTION record_delivery_receipt(bigint, text, text, text, text, text) TO {APP};
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute("""
      DROP FUNCTION delete_user_account(uuid);
      DROP FUNCTION workspace_owned_alone_with_others(uuid);
      DROP FUNCTION record_delivery_receipt(bigint, text, text, text, text, text);
      DROP TABLE webhook_events;
      DROP INDEX notification_outbox_provider_idx;
      ALTER TABLE notification_outbox DROP COLUMN receipt, DROP COLUMN receipt_code, DROP COLUMN receipt_at;
      DROP TABLE phone_verifications;
      DELETE FROM user_tokens WHERE purpose = 'change_email';
      ALTER TABLE user_tokens DROP COLUMN new_email;
      ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
      ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check CHECK (purpose IN ('verify_email', 'reset_password'));
      DROP INDEX users_phone_idx;
      DROP INDEX permits_current_lease_trgm_idx, permits_current_legal_trgm_idx;
      ALTER TABLE permits_current DROP COLUMN legal_text;
      ALTER TABLE users DROP COLUMN timezone, DROP COLUMN sms_opted_out_at, DROP COLUMN sms_paused_reason, DROP COLUMN sms_paused_at,
        DROP COLUMN email_paused_reason, DROP COLUMN email_paused_at;
    """)
