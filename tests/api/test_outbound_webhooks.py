"""Outbound webhooks end to end over real PostgreSQL and a real HTTPS receiver (TLS with a
test CA, on loopback, which these tests open with PERMITWATCH_WEBHOOK_ALLOW_NETWORKS):
alert events and permit changes arrive signed and pass the README's verification recipe;
failures are retried and logged, redirects are not followed; internal addresses are refused
when saved and when sent; rotation signs with both secrets for the overlap; keys need the
webhooks:write scope."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from services.alerting.evaluate import evaluate_pending
from services.errors import FieldError
from services.settings import REPO_ROOT
from services.webhooks import deliver as webhooks
from services.webhooks import endpoints
from services.webhooks.sender import Sender
from tests.conftest import make_settings, news, rules_predate_files
from tests.webhook_receiver import LOOPBACK, Receiver


def readme_recipe():
    """The verification function exactly as the README shows it."""
    text = (REPO_ROOT / "README.md").read_text()
    code = re.search(r"<!-- webhook-recipe -->\s*```python\n(.*?)```", text, re.S).group(1)
    scope: dict = {}
    exec(compile(code, "README.md#webhook-recipe", "exec"), scope)  # noqa: S102 -- our own README's recipe, under test
    return scope["verify_permitwatch"]


@pytest.fixture
def receiver(webhook_ca):
    r = Receiver(webhook_ca[0])
    yield r
    r.server.shutdown()


@pytest.fixture
def web_settings(stack_env, fresh_db, tmp_path, smtp, webhook_ca):
    return make_settings(stack_env, fresh_db, tmp_path, secret_key="test-secret-" + fresh_db, basemap_raster_url="",
                         email_provider="smtp", smtp_port=smtp.port, webhook_allow_networks=LOOPBACK,
                         webhook_ca_file=str(webhook_ca[1]), delivery_backoff_base_seconds=1, delivery_backoff_cap_seconds=2)


def work(settings, *, now=None, evaluate=False, sender_settings=None):
    """One round of the delivery worker's webhook part (and the evaluator's, when asked)."""
    post = Sender(sender_settings or settings)
    try:
        with psycopg.connect(settings.worker_database_url) as w:
            if evaluate:
                rules_predate_files(w)
                evaluate_pending(w)
            queued = webhooks.fan_out_changes(w)
            return queued, webhooks.deliver(w, settings, post, now=now)
    finally:
        post.close()


@pytest.fixture
def owner(visitor):
    user = visitor()
    user.signup("hooks@example.com", workspace_name="Hook Land")
    return user


def test_alert_events_and_permit_changes_arrive_signed_and_pass_the_readme_recipe(owner, receiver, web_settings):
    made = owner.post("/v1/webhooks", json={"url": receiver.url, "events": ["alert.created", "permit.changed"], "description": "CRM"})
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    assert secret.startswith("whsec_") and "secret" not in owner.get("/v1/webhooks").json()[0]
    news(web_settings, "2026-07-28")
    search = owner.post("/v1/saved-searches", json={"name": "Glasscock", "filters": {"counties": ["173"]}}).json()
    assert owner.post("/v1/alert-rules", json={"name": "Glasscock", "saved_search_id": search["id"]}).status_code == 201
    queued, sent = work(web_settings, evaluate=True)

    verify = readme_recipe()
    assert receiver.requests and all(verify(secret, h["permitwatch-signature"], b) for h, b in receiver.requests)
    assert not any(verify("whsec_someone-else", h["permitwatch-signature"], b) for h, b in receiver.requests)
    with psycopg.connect(web_settings.database_owner_url) as conn:
        alerts = {str(r[0]) for r in conn.execute("SELECT id FROM alert_events").fetchall()}
        changes = conn.execute("SELECT count(*) FROM permit_changes").fetchone()[0]
    got_alerts = [json.loads(b) for _, b in receiver.of_type("alert.created")]
    assert alerts and {a["data"]["alert_id"] for a in got_alerts} == alerts and len(got_alerts) == len(alerts)
    assert all(a["data"]["county"] == "Glasscock" and a["data"]["rule_name"] == "Glasscock" for a in got_alerts)
    batches = [json.loads(b)["data"] for _, b in receiver.of_type("permit.changed")]
    cursors = [c["cursor"] for batch in batches for c in batch["changes"]]
    assert len(cursors) == changes == len(set(cursors)) and queued == len(batches) == -(-changes // 100)
    assert sent.sent == len(receiver.requests) and sent.retried == sent.dead == 0
    headers, body = receiver.requests[0]
    assert headers["permitwatch-event-id"] == json.loads(body)["id"] and headers["host"] == receiver.url.split("/")[2]

    assert work(web_settings) == (0, webhooks.delivery.DeliveryResult())  # nothing twice
    log = owner.get(f"/v1/webhooks/{made.json()['id']}/deliveries", params={"limit": 200}).json()
    assert len(log) == len(receiver.requests) and {d["status"] for d in log} == {"sent"}
    assert all(d["tries"][0]["status_code"] == 200 and d["tries"][0]["address"] == "127.0.0.1" for d in log)


def test_a_failing_receiver_is_retried_with_backoff_redirects_are_not_followed_and_all_is_logged(owner, receiver, web_settings):
    ep = owner.post("/v1/webhooks", json={"url": receiver.url, "events": ["alert.created"]}).json()
    receiver.answers = [500, 302]
    test = owner.post(f"/v1/webhooks/{ep['id']}/test")
    assert test.status_code == 202, test.text
    _, first = work(web_settings)
    assert first.retried == 1 and len(receiver.requests) == 1
    assert work(web_settings)[1].sent == 0  # not yet due: it waits its backoff
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert work(web_settings, now=later)[1].retried == 1  # the redirect, not followed
    assert work(web_settings, now=later + timedelta(minutes=5))[1].sent == 1
    assert [json.loads(b)["id"] for _, b in receiver.requests] == [test.json()["event_id"]] * 3
    assert [h["permitwatch-delivery-attempt"] for h, _ in receiver.requests] == ["1", "2", "3"]
    (log,) = owner.get(f"/v1/webhooks/{ep['id']}/deliveries").json()
    assert log["event_type"] == "ping" and log["status"] == "sent" and log["attempts"] == 3
    assert [t["status_code"] for t in log["tries"]] == [500, 302, 200]
    assert "redirects are not followed" in log["tries"][1]["error"]
    assert owner.get("/v1/webhooks").json()[0]["last_status"] == "sent"


def test_internal_addresses_are_refused_when_saved_and_again_when_sent(owner, receiver, web_settings):
    closed = web_settings.model_copy(update={"webhook_allow_networks": ""})
    for url in ("https://127.0.0.1/x", "https://10.1.2.3/x", "https://169.254.169.254/latest/meta-data", "https://[::1]/x",
                "https://[::ffff:192.168.0.1]/x", "https://100.64.0.1/x", "http://example.com/x", "https://user:pw@example.com/x",
                "https://no-such-host.invalid/x"):
        with pytest.raises(FieldError) as refused:
            endpoints.checked_url(closed, url)
        assert refused.value.field == "url", url
    r = owner.post("/v1/webhooks", json={"url": "http://hooks.example.com/x", "events": ["alert.created"]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json") and "HTTPS" in r.text
    r = owner.post("/v1/webhooks", json={"url": "https://hooks.example.com/x", "events": ["permit.deleted"]})
    assert r.status_code == 422 and r.json()["errors"][0]["where"] == "body.events.0"

    ep = owner.post("/v1/webhooks", json={"url": receiver.url, "events": ["alert.created"]}).json()
    owner.post(f"/v1/webhooks/{ep['id']}/test")
    _, res = work(web_settings, sender_settings=closed)  # the name now resolves inside: checked again at send time
    assert res.dead == 1 and receiver.requests == []
    (log,) = owner.get(f"/v1/webhooks/{ep['id']}/deliveries").json()
    assert log["status"] == "dead" and "loopback" in log["last_error"] and log["tries"][0]["address"] is None


def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(owner, receiver, web_settings):
    verify = readme_recipe()
    made = owner.post("/v1/webhooks", json={"url": receiver.url, "events": ["permit.changed"]}).json()
    old = made["secret"]
    rotated = owner.post(f"/v1/webhooks/{made['id']}/rotate", json={"overlap_hours": 24})
    assert rotated.status_code == 200 and rotated.json()["previous_until"]
    new = rotated.json()["secret"]
    owner.post(f"/v1/webhooks/{made['id']}/test")
    work(web_settings)
    headers, body = receiver.requests[-1]
    assert headers["permitwatch-signature"].count("v1=") == 2 and verify(old, headers["permitwatch-signature"], body)
    assert verify(new, headers["permitwatch-signature"], body)
    newest = owner.post(f"/v1/webhooks/{made['id']}/rotate", json={"overlap_hours": 0}).json()
    assert newest["previous_until"] is None
    owner.post(f"/v1/webhooks/{made['id']}/test")
    work(web_settings)
    headers, body = receiver.requests[-1]
    assert verify(newest["secret"], headers["permitwatch-signature"], body)
    assert not verify(new, headers["permitwatch-signature"], body) and not verify(old, headers["permitwatch-signature"], body)
    stale = f"t={int(time.time()) - 301}," + headers["permitwatch-signature"].split(",", 1)[1]
    assert not verify(newest["secret"], stale, body)  # a replay after five minutes fails the recipe


def test_keys_manage_endpoints_only_with_webhooks_write_and_every_change_is_audited(owner, receiver, visitor, web_settings):
    reader = owner.post("/v1/api-keys", json={"name": "read", "scopes": ["permits:read"]}).json()["key"]
    writer = owner.post("/v1/api-keys", json={"name": "hooks", "scopes": ["webhooks:write"]}).json()["key"]
    as_reader, as_writer = visitor(), visitor()
    as_reader.http.headers["Authorization"] = f"Bearer {reader}"
    as_writer.http.headers["Authorization"] = f"Bearer {writer}"
    r = as_reader.http.get("/v1/webhooks")
    assert r.status_code == 403 and r.json()["param"] == "scope"
    made = as_writer.http.post("/v1/webhooks", json={"url": receiver.url, "events": ["alert.created"]})
    assert made.status_code == 201, made.text
    eid = made.json()["id"]
    off = as_writer.http.patch(f"/v1/webhooks/{eid}", json={"enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert as_writer.http.post(f"/v1/webhooks/{eid}/test").status_code == 422  # off: nothing to send to
    with psycopg.connect(web_settings.database_owner_url) as conn:  # its name stopped resolving since
        conn.execute("UPDATE webhook_endpoints SET url = 'https://gone.invalid/hook' WHERE id = %s", (eid,))
    described = as_writer.http.patch(f"/v1/webhooks/{eid}", json={"description": "old CRM"})
    assert described.status_code == 200 and described.json()["description"] == "old CRM"
    assert as_writer.http.delete(f"/v1/webhooks/{eid}").status_code == 204
    assert as_writer.http.get(f"/v1/webhooks/{eid}/deliveries").status_code == 404
    with psycopg.connect(web_settings.database_owner_url) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE entity_type = 'webhook_endpoint' ORDER BY id").fetchall()]
    assert actions == ["webhook.created", "webhook.updated", "webhook.updated", "webhook.deleted"]
