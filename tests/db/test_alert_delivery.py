"""Delivery through the official SDKs against local servers that speak the providers'
APIs, and a real SMTP server: sends, retries with backoff, dead letters, digests, quiet
hours, in-app exactly once."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.alerting import rule_store
from services.alerting import rules as R
from services.alerting.channels.providers import SendGridEmail, SMTPEmail, TwilioSMS
from services.alerting.delivery import assemble_digests, deliver_due, deliver_external, requeue_dead
from services.alerting.evaluate import evaluate_pending
from services.db.engine import set_tenant
from services.engagement.links import outbox_of
from services.tenancy import admin
from tests.conftest import news, rules_predate_files

BASE = "https://permitwatch.example"


@pytest.fixture
def providers(fake):
    return {"sms": TwilioSMS(fake.account_sid, fake.auth_token, "+15005550006", base_url=fake.url, timeout=2),
            "email": SendGridEmail(fake.sendgrid_key, "alerts@permitwatch.example", host=fake.url, timeout=2)}


def _setup(settings, app_conn, worker_conn, *, county: str | None = "173", **rule_kw):
    news(settings, "2026-07-28")
    ws = admin.create_workspace(app_conn, "Acme", "landman@example.com", phone="+15125550100", verified=True, sms_per_day=1000)
    search = admin.create_saved_search(app_conn, ws.workspace_id, "county",
                                       {"counties": [county]} if county else {"statuses": ["approved"]})
    spec = R.RuleSpec(name="Glasscock watch", saved_search_id=search, recipients=[ws.user_id],
                      channels=rule_kw.pop("channels", {"sms": True, "email": True, "in_app": True}), **rule_kw)
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        rule_store.save(cur, ws.workspace_id, spec, actor=ws.user_id)
    rules_predate_files(worker_conn)
    evaluate_pending(worker_conn)
    return ws


def _status(worker_conn):
    worker_conn.commit()
    return dict(worker_conn.execute("SELECT status || ':' || channel, count(*) FROM notification_outbox GROUP BY 1").fetchall())


def _in_app_events_due(worker_conn):
    """Events the pending in-app rows will put in the inbox: a row's own event, or its
    rule's events in the row's changes."""
    return worker_conn.execute("""SELECT count(*) FROM notification_outbox o JOIN alert_events e
                                  ON e.id = o.alert_event_id OR (o.change_from IS NOT NULL AND e.alert_rule_id = o.alert_rule_id
                                                                 AND e.permit_change_id BETWEEN o.change_from AND o.change_upto)
                                  WHERE o.channel = 'in_app' AND o.status = 'pending'""").fetchone()[0]


def test_sms_email_and_in_app_are_delivered_through_the_sdks(settings, app_conn, worker_conn, fake, providers):
    _setup(settings, app_conn, worker_conn)
    n = worker_conn.execute("SELECT count(*) FROM alert_events").fetchone()[0]
    assert n > 10
    res = deliver_due(worker_conn, settings, providers)
    assert (res.sent, res.in_app, res.retried, res.dead) == (2 * n, n, 0, 0)
    assert _status(worker_conn) == {"sent:sms": n, "sent:email": n, "sent:in_app": n}
    sms = fake.delivered("twilio")
    assert len(sms) == n and {r.form()["To"] for r in sms} == {"+15125550100"}
    assert all(len(r.form()["Body"]) <= 160 for r in sms)
    # each text ends with its permit's link, carrying a token that names this very delivery
    links = [re.search(rf" {re.escape(BASE)}/p/\d{{7}}\?t=[\w-]+$", r.form()["Body"]) for r in sms]
    assert all(links)
    sent = dict(worker_conn.execute("SELECT id, provider_message_id FROM notification_outbox WHERE channel = 'sms'").fetchall())
    named = {outbox_of(settings.secret_key, r.form()["Body"].rsplit("?t=", 1)[1]) for r in sms}
    assert named == set(sent)
    mail = fake.delivered("sendgrid")
    body = mail[0].json()
    assert body["personalizations"][0]["to"] == [{"email": "landman@example.com"}]
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["custom_args"]["outbox_id"].startswith("permitwatch-outbox-")
    ids = worker_conn.execute("SELECT provider_message_id FROM notification_outbox WHERE channel = 'sms'").fetchall()
    assert all(i.startswith("SM") for (i,) in ids)
    assert worker_conn.execute("SELECT count(*), count(read_at) FROM notifications").fetchone() == (n, 0)
    # A second round finds nothing to do: nothing is sent twice.
    again = deliver_due(worker_conn, settings, providers)
    assert (again.sent, again.in_app) == (0, 0) and len(fake.delivered("twilio")) == n


def test_smtp_delivers_multipart_mail(settings, app_conn, worker_conn, smtp):
    _setup(settings, app_conn, worker_conn, channels={"email": True})
    email = SMTPEmail("127.0.0.1", smtp.port, "alerts@permitwatch.example", timeout=5)
    res = deliver_external(worker_conn, settings, {"email": email})
    assert res.sent > 0 and len(smtp.messages) == res.sent
    _, rcpts, msg = smtp.messages[0]
    assert rcpts == ["landman@example.com"] and msg["Message-ID"].strip().startswith("<") and "permitwatch-outbox-" in msg["Message-ID"]
    assert msg.get_body(("plain",)).get_content().count("Permit: https://permitwatch.example/permits/") == 1
    assert "<table>" in msg.get_body(("html",)).get_content()


def test_rate_limits_and_errors_back_off_then_dead_letter_and_requeue(settings, app_conn, worker_conn, fake, providers):
    _setup(settings, app_conn, worker_conn, county="329", channels={"sms": True})  # Midland: a handful of permits
    n = worker_conn.execute("SELECT count(*) FROM notification_outbox WHERE channel = 'sms'").fetchone()[0]
    assert n >= 3
    fake.fail("twilio", 429, times=1, retry_after=5)
    fake.fail("twilio", 500, times=1)
    fake.fail("twilio", "hang", times=1)
    res = deliver_external(worker_conn, settings, providers)
    assert (res.sent, res.retried) == (n - 3, 3)
    rows = worker_conn.execute("SELECT attempts, next_attempt_at, last_error FROM notification_outbox WHERE status = 'failed'").fetchall()
    assert len(rows) == 3 and all(a == 1 and at > datetime.now(UTC) + timedelta(seconds=10) for a, at, _ in rows)
    assert sorted(e.split(":")[0] for *_, e in rows) == ["twilio", "twilio 429 20429", "twilio 500 20500"]
    # Not due yet: nothing is retried early.
    assert deliver_external(worker_conn, settings, providers).retried == 0
    # The provider keeps failing: after the last attempt the rows are dead letters.
    fake.fail("twilio", 503, times=100)
    later = datetime.now(UTC)
    for _ in range(settings.delivery_max_attempts):
        later += timedelta(hours=2)
        deliver_external(worker_conn, settings, providers, now=later)
    dead = worker_conn.execute("SELECT attempts, last_error FROM notification_outbox WHERE status = 'dead'").fetchall()
    assert len(dead) == 3 and all(a == settings.delivery_max_attempts and "gave up after" in e for a, e in dead)
    fake.faults.clear()
    assert requeue_dead(worker_conn) == 3
    assert deliver_external(worker_conn, settings, providers).sent == 3
    assert _status(worker_conn) == {"sent:sms": n}


def test_a_permanent_error_is_dead_at_once(settings, app_conn, worker_conn, fake, providers):
    _setup(settings, app_conn, worker_conn, county="329", channels={"email": True})
    fake.fail("sendgrid", 400, times=1)
    res = deliver_external(worker_conn, settings, providers)
    assert res.dead == 1
    (error,) = worker_conn.execute("SELECT last_error FROM notification_outbox WHERE status = 'dead'").fetchone()
    assert error.startswith("permanent: sendgrid 400")


def test_quiet_hours_hold_sms_and_email_until_morning(settings, app_conn, worker_conn, fake, providers):
    # A window around now (crossing midnight when it must): 00:00-23:59 let one minute a day through.
    local = datetime.now(ZoneInfo("America/Chicago"))
    around = {"timezone": "America/Chicago",
              "windows": [{"start": f"{local - timedelta(hours=1):%H:%M}", "end": f"{local + timedelta(hours=2):%H:%M}"}]}
    _setup(settings, app_conn, worker_conn, county="329", quiet_hours=around)
    res = deliver_due(worker_conn, settings, providers)
    assert res.sent == 0 and res.in_app > 0  # the inbox is silent, so it is not held
    release = worker_conn.execute("SELECT min(next_attempt_at) FROM notification_outbox WHERE channel = 'sms'").fetchone()[0]
    assert release > datetime.now(UTC)
    assert deliver_due(worker_conn, settings, providers, now=release + timedelta(seconds=1)).sent > 0


def test_daily_digest_gathers_a_rules_events_into_one_message(settings, app_conn, worker_conn, fake, providers):
    _setup(settings, app_conn, worker_conn, channels={"email": True, "sms": True}, digest_mode="daily")
    held = worker_conn.execute("SELECT count(*) FROM notification_outbox WHERE status = 'held' AND channel = 'email'").fetchone()[0]
    assert held > 10
    assert deliver_due(worker_conn, settings, providers).sent == 0
    due = worker_conn.execute("SELECT max(next_attempt_at) FROM notification_outbox WHERE status = 'held'").fetchone()[0]
    assert assemble_digests(worker_conn, base_url=BASE, now=due) == 2  # one email, one SMS
    assert assemble_digests(worker_conn, base_url=BASE, now=due) == 0  # idempotent
    res = deliver_external(worker_conn, settings, providers, now=due)
    assert res.sent == 2
    (mail,) = fake.delivered("sendgrid")
    assert mail.json()["subject"] == f"{held} drilling permit updates for Glasscock watch (daily digest)"
    assert mail.json()["content"][0]["value"].count("https://permitwatch.example/permits/") == held
    assert _status(worker_conn)["digested:email"] == held


def _midland_sms_rule(app_conn, ws):
    search = admin.create_saved_search(app_conn, ws.workspace_id, "Midland", {"counties": ["329"]})
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        rule_store.save(cur, ws.workspace_id, R.RuleSpec(name="m", saved_search_id=search, recipients=[ws.user_id], channels={"sms": True}),
                        actor=ws.user_id)


def test_sms_over_the_workspace_limit_goes_to_inbox_and_digest(settings, app_conn, worker_conn, fake, providers):
    news(settings, "2026-07-28")
    ws = admin.create_workspace(app_conn, "Tight", "a@example.com", phone="+15125550100", verified=True, sms_per_day=2)
    _midland_sms_rule(app_conn, ws)
    rules_predate_files(worker_conn)
    evaluate_pending(worker_conn)
    events = worker_conn.execute("SELECT count(*) FROM alert_events").fetchone()[0]
    st = _status(worker_conn)
    # once the limit refused the rule's SMS, one in-app row carries its remaining events
    assert st["pending:sms"] == 2 and st["pending:in_app"] == 1 and st["held:email"] == events - 2
    assert _in_app_events_due(worker_conn) == events - 2
    deliver_due(worker_conn, settings, providers)
    notes = worker_conn.execute("SELECT body FROM notifications").fetchall()
    assert len(notes) == events - 2 and all(b.startswith("SMS limit of 2 per day reached") for (b,) in notes)
    assert worker_conn.execute("SELECT count FROM delivery_usage_daily WHERE channel = 'sms'").fetchone() == (2,)


def test_monthly_sms_quota_counts_earlier_days(settings, app_conn, worker_conn, providers):
    news(settings, "2026-07-28")
    ws = admin.create_workspace(app_conn, "Monthly", "m@example.com", phone="+15125550100", verified=True, sms_per_day=100)
    # A WorkspaceQuota allows 5 a month, and 4 went out earlier this month.
    worker_conn.execute("UPDATE workspace_quotas SET sms_per_month = 5 WHERE workspace_id = %s", (ws.workspace_id,))
    worker_conn.execute("INSERT INTO delivery_usage_daily (workspace_id, day, channel, count) "
                        "VALUES (%s, date_trunc('month', now())::date - 1, 'sms', 30), "
                        "(%s, CASE WHEN extract(day FROM now()) > 1 THEN date_trunc('month', now())::date ELSE now()::date - 40 END, 'sms', 4)",
                        (ws.workspace_id, ws.workspace_id))
    worker_conn.commit()
    _midland_sms_rule(app_conn, ws)
    rules_predate_files(worker_conn)
    evaluate_pending(worker_conn)
    st = _status(worker_conn)
    expected = 1 if datetime.now(UTC).day > 1 else 5  # on the 1st, the earlier day is last month's
    assert st["pending:sms"] == expected
    events = worker_conn.execute("SELECT count(*) FROM alert_events").fetchone()[0]
    assert events > expected and st["pending:in_app"] == 1 and _in_app_events_due(worker_conn) == events - expected


def test_a_report_email_carries_its_files_through_sendgrid_and_smtp(fake, smtp):
    """SendGrid gets each file base64-encoded with its name and type; SMTP as a MIME part."""
    import base64
    import json

    from services.alerting.channels import Message

    files = (("report.pdf", "application/pdf", b"%PDF-1.7 fake"),
             ("report.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"))
    msg = Message(7, "email", "client@example.org", {"subject": "Activity report", "text": "t", "html": "<p>t</p>"}, attachments=files)
    SendGridEmail(fake.sendgrid_key, "alerts@permitwatch.example", host=fake.url, timeout=2).send(msg)
    sent = json.loads(fake.delivered("sendgrid")[-1].body)
    assert sorted((a["filename"], a["type"], base64.b64decode(a["content"]), a["disposition"]) for a in sent["attachments"]) == [
        (n, t, c, "attachment") for n, t, c in files]
    SMTPEmail("127.0.0.1", smtp.port, "alerts@permitwatch.example", timeout=5).send(msg)
    got = smtp.messages[-1][2]
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in got.iter_attachments()] == list(files)
