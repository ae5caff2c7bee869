"""Provider webhooks over HTTP: Twilio delivery receipts and STOP/START/HELP (signatures
made with the Twilio SDK's own validator), SendGrid's ECDSA-signed event webhook (a real
P-256 key pair). Receipts land on the outbox rows and in the inbox; an unreachable
address pauses that channel for that person until they change and verify it; unsigned,
stale or replayed calls are refused."""

from __future__ import annotations

import base64
import json
import time

import psycopg
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from services.alerting.channels.providers import SendGridEmail, TwilioSMS
from services.alerting.delivery import deliver_due
from services.alerting.evaluate import evaluate_pending
from services.api.app import create_app
from tests.api.conftest import Browser
from tests.conftest import make_settings, news, rules_predate_files

BASE = "https://permitwatch.example"
TOKEN = "twilio-auth-token-for-tests"
KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC = base64.b64encode(KEY.public_key().public_bytes(serialization.Encoding.DER,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


@pytest.fixture
def hooks(stack_env, fresh_db, tmp_path, fake, smtp):
    settings = make_settings(stack_env, fresh_db, tmp_path, secret_key="hooks-" + fresh_db, basemap_raster_url="",
                             email_provider="smtp", smtp_port=smtp.port, twilio_auth_token=TOKEN,
                             sendgrid_webhook_public_key=PUBLIC)
    from services.queueing import redis_client

    redis_client(settings).flushdb()
    app = create_app(settings)
    with TestClient(app, base_url=BASE) as client:
        yield settings, client, app


def _signed_twilio(client, path: str, params: dict, token: str = TOKEN, signature: str | None = None):
    url = f"{BASE}{path}"
    sig = signature if signature is not None else RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": sig})


def _signed_sendgrid(client, events: list[dict], *, at: int | None = None, key=KEY):
    body = json.dumps(events)
    ts = str(at if at is not None else int(time.time()))
    sig = base64.b64encode(key.sign((ts + body).encode(), ec.ECDSA(hashes.SHA256()))).decode()
    return client.post("/webhooks/sendgrid/events", content=body, headers={
        "Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Signature": sig, "X-Twilio-Email-Event-Webhook-Timestamp": ts})


@pytest.fixture
def delivered(hooks, fake):
    """A landman with a verified phone and e-mail, and alerts sent to both through the SDKs."""
    settings, client, app = hooks
    user = Browser(app)
    user.signup("landman@example.com", workspace_name="Acme")
    with psycopg.connect(settings.database_owner_url) as conn:
        conn.execute("UPDATE users SET phone = '+15125550100', phone_verified_at = now(), email_verified_at = now()")
    news(settings, "2026-07-28")
    r = user.post("/v1/saved-searches", json={"name": "Glasscock", "filters": {"counties": ["173"]}})
    rule = user.post("/v1/alert-rules", json={"name": "Glasscock", "saved_search_id": r.json()["id"],
                                              "channels": {"sms": True, "email": True, "in_app": True}})
    assert rule.status_code == 201, rule.text
    providers = {"sms": TwilioSMS(fake.account_sid, fake.auth_token, "+15005550006", base_url=fake.url, timeout=2),
                 "email": SendGridEmail(fake.sendgrid_key, "alerts@permitwatch.example", host=fake.url, timeout=2)}
    with psycopg.connect(settings.worker_database_url) as w:
        w.execute("UPDATE workspace_quotas SET sms_per_day = 1000")
        w.commit()
        rules_predate_files(w)
        evaluate_pending(w)
        deliver_due(w, settings, providers)
        rows = w.execute("SELECT id, channel, provider_message_id FROM notification_outbox WHERE channel <> 'in_app' ORDER BY id").fetchall()
    return settings, client, user, rows


def _outbox(settings, oid):
    with psycopg.connect(settings.worker_database_url) as w:
        return w.execute("SELECT receipt, receipt_code FROM notification_outbox WHERE id = %s", (oid,)).fetchone()


def test_twilio_receipts_mark_rows_delivered_or_undelivered_and_pause_an_unreachable_number(delivered):
    settings, client, user, rows = delivered
    sms = [(i, m) for i, ch, m in rows if ch == "sms"]
    (ok_id, ok_sid), (bad_id, bad_sid) = sms[:2]
    r = _signed_twilio(client, f"/webhooks/twilio/status?outbox={ok_id}", {"MessageSid": ok_sid, "MessageStatus": "delivered"})
    assert r.status_code == 200 and r.json() == {"recorded": 1}
    assert _outbox(settings, ok_id) == ("delivered", None)
    r = _signed_twilio(client, f"/webhooks/twilio/status?outbox={bad_id}",
                       {"MessageSid": bad_sid, "MessageStatus": "undelivered", "ErrorCode": "30005"})
    assert r.json() == {"recorded": 1} and _outbox(settings, bad_id) == ("undelivered", "30005")
    account = user.get("/v1/account").json()
    assert account["sms_paused_reason"] == "the number is unknown or no longer in service"
    rule = user.get("/v1/alert-rules").json()[0]
    assert rule["paused_channels"] == ["SMS to landman@example.com is paused: the number is unknown or no longer in service"]
    inbox = user.get("/v1/notifications").json()["items"]
    states = {(d["channel"], d["receipt"]) for n in inbox for d in n["deliveries"]}
    assert ("sms", "delivered") in states and ("sms", "undelivered") in states
    # a receipt naming another message's id changes nothing
    r = _signed_twilio(client, f"/webhooks/twilio/status?outbox={ok_id}", {"MessageSid": "SMforged", "MessageStatus": "failed"})
    assert r.json() == {"recorded": 0} and _outbox(settings, ok_id) == ("delivered", None)


def test_unsigned_forged_and_replayed_twilio_calls_are_refused(delivered, caplog):
    settings, client, _, rows = delivered
    oid, sid = next((i, m) for i, ch, m in rows if ch == "sms")
    params = {"MessageSid": sid, "MessageStatus": "delivered"}
    path = f"/webhooks/twilio/status?outbox={oid}"
    with caplog.at_level("WARNING", logger="permitwatch.webhooks"):
        unsigned = client.post(path, data=params)
        forged = _signed_twilio(client, path, params, token="not-our-token")
        other_row = f"{BASE}/webhooks/twilio/status?outbox={oid + 1000}"  # a valid signature, for another URL
        tampered = _signed_twilio(client, path, params, signature=RequestValidator(TOKEN).compute_signature(other_row, params))
    for r in (unsigned, forged, tampered):
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert _outbox(settings, oid) == (None, None)
    assert len([r for r in caplog.records if "refused a Twilio webhook" in r.getMessage()]) == 3
    assert _signed_twilio(client, path, params).status_code == 200
    replay = _signed_twilio(client, path, params)
    assert replay.status_code == 409 and replay.json()["type"].endswith("/replayed")


def test_stop_start_and_help_from_a_number(delivered):
    settings, client, user, _ = delivered
    r = _signed_twilio(client, "/webhooks/twilio/sms", {"MessageSid": "SMin1", "From": "+15125550100", "Body": "Stop"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    assert user.get("/v1/account").json()["sms_opted_out"] is True
    help_ = _signed_twilio(client, "/webhooks/twilio/sms", {"MessageSid": "SMin2", "From": "+15125550100", "Body": "help"})
    assert "Reply STOP to stop" in help_.text
    _signed_twilio(client, "/webhooks/twilio/sms", {"MessageSid": "SMin3", "From": "+15125550100", "Body": "START"})
    assert user.get("/v1/account").json()["sms_opted_out"] is False


def test_sendgrid_bounce_pauses_email_and_a_verified_new_address_resumes_it(delivered, smtp):
    from tests.api.conftest import PASSWORD, link_token

    settings, client, user, rows = delivered
    (d_id, d_msg), (b_id, b_msg) = [(i, m) for i, ch, m in rows if ch == "email"][:2]
    events = [{"event": "delivered", "sg_event_id": "ev1", "sg_message_id": f"{d_msg}.filter0001", "outbox_id": f"permitwatch-outbox-{d_id}",
               "email": "landman@example.com", "timestamp": int(time.time())},
              {"event": "bounce", "type": "bounce", "status": "5.1.1", "reason": "550 5.1.1 mailbox unavailable", "sg_event_id": "ev2",
               "sg_message_id": f"{b_msg}.filter0002", "outbox_id": f"permitwatch-outbox-{b_id}", "email": "landman@example.com"}]
    r = _signed_sendgrid(client, events)
    assert r.status_code == 200 and r.json() == {"recorded": 2}
    assert _outbox(settings, d_id) == ("delivered", None) and _outbox(settings, b_id) == ("bounced", "5.1.1")
    assert user.get("/v1/account").json()["email_paused_reason"].startswith("the address bounced: 550 5.1.1")
    assert _signed_sendgrid(client, events).status_code == 409  # replayed
    # a new address, confirmed by its link, resumes e-mail
    assert user.post("/v1/account/email", json={"email": "landman@newco.example", "password": PASSWORD}).status_code == 202
    token = link_token(smtp, "landman@newco.example", "email")
    assert user.post("/v1/account/email/confirm", json={"token": token}).status_code == 200
    account = user.get("/v1/account").json()
    assert account["email"] == "landman@newco.example" and account["email_verified"] and account["email_paused_reason"] is None


@pytest.mark.parametrize("case", ["stale", "bad-signature", "other-key", "not-json"])
def test_sendgrid_calls_that_cannot_be_proven_are_refused(hooks, case):
    _, client, _ = hooks
    events = [{"event": "delivered", "sg_event_id": "x", "sg_message_id": "m", "outbox_id": "permitwatch-outbox-1"}]
    if case == "stale":
        r = _signed_sendgrid(client, events, at=int(time.time()) - 3600)
    elif case == "other-key":
        r = _signed_sendgrid(client, events, key=ec.generate_private_key(ec.SECP256R1()))
    elif case == "bad-signature":
        r = client.post("/webhooks/sendgrid/events", content=json.dumps(events), headers={
            "X-Twilio-Email-Event-Webhook-Signature": "bm90IGEgc2lnbmF0dXJl", "X-Twilio-Email-Event-Webhook-Timestamp": str(int(time.time()))})
    else:
        body, ts = "{not json", str(int(time.time()))
        sig = base64.b64encode(KEY.sign((ts + body).encode(), ec.ECDSA(hashes.SHA256()))).decode()
        r = client.post("/webhooks/sendgrid/events", content=body, headers={
            "X-Twilio-Email-Event-Webhook-Signature": sig, "X-Twilio-Email-Event-Webhook-Timestamp": ts})
    assert r.status_code == (400 if case == "not-json" else 403) and r.headers["content-type"] == "application/problem+json"
