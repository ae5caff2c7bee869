"""Billing end to end over the real database, with the official Stripe SDK talking to the
project's Stripe stand-in: the trial, Checkout, the Portal, the signed webhook (replayed,
reordered, forged), grace and read-only, 402s naming the plan, notices by real SMTP, and
text messages beyond the plan metered once."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from services.billing import metering, notices
from services.billing.stripe_api import client, sync_catalog
from tests.api.conftest import link_token
from tests.conftest import make_settings, stripe_settings

SQUARE = {"type": "Polygon", "coordinates": [[[-102.2, 31.9], [-102.0, 31.9], [-102.0, 32.1], [-102.2, 32.1], [-102.2, 31.9]]]}


@pytest.fixture
def web_settings(stack_env, fresh_db, tmp_path, smtp, stripe_standin):
    s = make_settings(stack_env, fresh_db, tmp_path, secret_key="test-secret-" + fresh_db, basemap_raster_url="",
                      email_provider="smtp", smtp_port=smtp.port, **stripe_settings(stripe_standin))
    sync_catalog(client(s))
    return s


def send_held(app, standin, order=None) -> list[httpx.Response]:
    """POST the stand-in's held events to the app, signed as Stripe signs them."""
    held = [d for d in standin.state.events if not d.sent]
    out = []
    c = TestClient(app)  # no lifespan of its own: the app fixture's pool stays open
    for d in (order(held) if order else held):
        r = c.post("/webhooks/stripe", content=d.payload, headers={"Stripe-Signature": standin.sign(d.payload), "Content-Type": "application/json"})
        d.sent, d.status = True, r.status_code
        out.append(r)
    return out


def resend(app, standin, event_id: str, *, ts: int | None = None, payload: str | None = None) -> httpx.Response:
    d = next(d for d in standin.state.events if d.event["id"] == event_id)
    body = payload or d.payload
    return TestClient(app).post("/webhooks/stripe", content=body, headers={"Stripe-Signature": standin.sign(body, ts), "Content-Type": "application/json"})


def pay(standin, url: str, card: str = "4242 4242 4242 4242") -> httpx.Response:
    return httpx.post(f"{standin.url}{urlsplit(url).path}/pay", data={"card": card}, follow_redirects=False)


def portal(standin, url: str, **form) -> httpx.Response:
    return httpx.post(f"{standin.url}{urlsplit(url).path}/change", data=form, follow_redirects=False)


def price_id(standin, lookup_key: str) -> str:
    return standin.state.lookup[lookup_key]


def verified_owner(visitor, smtp, email="owner@example.com"):
    owner = visitor()
    owner.signup(email, workspace_name="Midland Minerals")
    assert owner.post("/auth/verify", json={"token": link_token(smtp, email, "verify")}).status_code == 200
    return owner


def subscribe(app, owner, standin, plan="basic", addons=None) -> dict:
    r = owner.post("/v1/billing/checkout", json={"plan": plan, "addons": addons or {}})
    assert r.status_code == 200, r.text
    assert pay(standin, r.json()["url"]).status_code == 303
    assert all(x.status_code == 200 for x in send_held(app, standin))
    return owner.get("/v1/billing").json()


def owner_sql(settings, query: str, params=()) -> list:
    with psycopg.connect(settings.database_owner_url) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def test_signup_starts_a_fourteen_day_trial_with_pro_features(app, visitor, web_settings):
    owner = visitor()
    owner.signup("trial@example.com")
    b = owner.get("/v1/billing").json()
    assert (b["plan"]["code"], b["status"], b["standing"], b["days_left"]) == ("trial", "trialing", "trial", 14)
    assert b["message"].startswith("Trial: 14 days left")
    assert b["value"] == {"permits_matched": 0, "alerts_sent": 0, "alerts_opened": 0, "median_minutes_after_rrc": None,
                          "operators_tracked": 0, "exports_made": 0}
    assert owner.post("/v1/api-keys", json={"name": "trial key", "scopes": ["permits:read"]}).status_code == 201
    plans = owner.get("/v1/billing/plans").json()
    assert [(p["code"], p["price"]) for p in plans["plans"]] == [("basic", "$99"), ("pro", "$249")]


def test_checkout_through_the_stand_in_subscribes_the_workspace_and_keeps_the_trial_days_free(app, visitor, smtp, web_settings, stripe_standin):
    owner = verified_owner(visitor, smtp)
    r = owner.post("/v1/billing/checkout", json={"plan": "basic", "addons": {"sms_pack": 1}})
    assert r.status_code == 200 and r.json()["url"].startswith(stripe_standin.url + "/checkout/cs_test_")
    session = next(o for o in stripe_standin.state.objects.values() if o["object"] == "checkout.session")
    customer = stripe_standin.state.objects[session["customer"]]
    ws = owner.get("/auth/me").json()["workspace_id"]
    assert customer["metadata"] == {"workspace_id": ws} and customer["email"] == "owner@example.com"
    assert session["client_reference_id"] == ws
    assert [(i["price"], i.get("quantity")) for i in session["line_items"]] == [
        (price_id(stripe_standin, "permitwatch_basic_monthly"), "1"), (price_id(stripe_standin, "permitwatch_sms_pack_monthly"), "1"),
        (price_id(stripe_standin, "permitwatch_sms_overage"), None)]
    trial_end = int(session["subscription_data"]["trial_end"])
    assert abs(trial_end - (datetime.now(UTC) + timedelta(days=14)).timestamp()) < 120
    page = httpx.get(r.json()["url"]).text
    assert "Subscribe to permitwatch" in page and "permitwatch Basic" in page and "Free until" in page
    declined = pay(stripe_standin, r.json()["url"], card="4000 0000 0000 0341")
    assert declined.status_code == 402 and "declined" in declined.text and not stripe_standin.state.events
    paid = pay(stripe_standin, r.json()["url"])
    assert paid.status_code == 303 and paid.headers["location"] == "https://permitwatch.example/app#/billing?checkout=done"
    assert [e["type"] for e in (d.event for d in stripe_standin.state.events)] == [
        "customer.subscription.created", "checkout.session.completed", "invoice.paid"]
    assert [x.json() for x in send_held(app, stripe_standin)] == [{"applied": True}] * 3
    b = owner.get("/v1/billing").json()
    assert (b["plan"]["code"], b["status"], b["standing"], b["has_subscription"]) == ("basic", "active", "paid", True)
    assert b["addons"] == [{"code": "sms_pack", "name": "SMS pack", "quantity": 1, "unit": "500 more text messages a month", "price": "$15"}]
    assert next(u for u in b["usage"] if u["limit"] == "sms_per_month")["allowed"] == 800
    assert b["next_invoice"]["amount"] == "$114"
    actions = [e["action"] for e in owner.get("/v1/audit").json()["items"]]
    assert "billing.subscribed" in actions and "billing.checkout_started" in actions
    again = owner.post("/v1/billing/checkout", json={"plan": "pro"})
    assert again.status_code == 409 and "Manage billing" in again.json()["detail"]


def test_basic_gets_402_for_the_api_and_webhooks_naming_pro(app, visitor, smtp, web_settings, stripe_standin):
    owner = verified_owner(visitor, smtp)
    key = owner.post("/v1/api-keys", json={"name": "made in trial", "scopes": ["permits:read"]}).json()["key"]
    assert TestClient(app).get("/v1/permits", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    subscribe(app, owner, stripe_standin, "basic")
    refused = owner.post("/v1/api-keys", json={"name": "on basic", "scopes": ["permits:read"]})
    assert refused.status_code == 402 and refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert (body["type"].rsplit("/", 1)[1], body["plan"], body["plan_name"], body["upgrade_url"]) == ("not-in-plan", "pro", "Pro", "/app#/billing")
    assert body["detail"] == "The REST API comes with the Pro plan; you are on Basic. Upgrade on the Billing page."
    hook = owner.post("/v1/webhooks", json={"url": "https://hooks.example.com/x", "events": ["alert.created"]})
    assert hook.status_code == 402 and hook.json()["plan"] == "pro"
    used = TestClient(app).get("/v1/permits", headers={"Authorization": f"Bearer {key}"})
    assert used.status_code == 402 and used.json()["plan"] == "pro"


def test_member_cannot_start_checkout_or_open_the_portal(app, visitor, smtp, web_settings):
    owner = verified_owner(visitor, smtp)
    owner.post("/v1/workspace/invitations", json={"email": "member@example.com", "role": "member"})
    member = visitor()
    member.signup("member@example.com")
    assert member.post("/auth/invitations/accept", json={"token": link_token(smtp, "member@example.com", "invite")}).status_code == 200
    assert member.get("/v1/billing").status_code == 200
    assert member.post("/v1/billing/checkout", json={"plan": "pro"}).status_code == 403
    assert member.post("/v1/billing/portal").status_code == 403
    assert owner.post("/v1/billing/portal").status_code == 400  # no customer yet: choose a plan first


def test_webhook_replays_reordering_and_forgeries_leave_the_workspace_as_stripe_has_it(app, visitor, smtp, web_settings, stripe_standin):
    owner = verified_owner(visitor, smtp)
    r = owner.post("/v1/billing/checkout", json={"plan": "pro", "addons": {"api_pack": 1}})
    pay(stripe_standin, r.json()["url"])
    url = owner.post("/v1/billing/portal").json()  # not yet a customer? it is: checkout made one
    portal_url = url["url"]
    assert portal(stripe_standin, portal_url, action="switch", price=price_id(stripe_standin, "permitwatch_basic_monthly")).status_code == 303
    assert portal(stripe_standin, portal_url, action="cancel").status_code == 303
    kinds = [d.event["type"] for d in stripe_standin.state.events]
    assert kinds == ["customer.subscription.created", "checkout.session.completed", "invoice.paid",
                     "customer.subscription.updated", "customer.subscription.updated"]
    # newest first, then everything again: each event applies once, and the end is Stripe's state
    first = send_held(app, stripe_standin, order=lambda held: list(reversed(held)))
    assert [x.json()["applied"] for x in first] == [True] * 5
    again = [resend(app, stripe_standin, d.event["id"]) for d in stripe_standin.state.events]
    assert [(x.status_code, x.json()["applied"]) for x in again] == [(200, False)] * 5
    b = owner.get("/v1/billing").json()
    sub = next(o for o in stripe_standin.state.objects.values() if o["object"] == "subscription")
    assert (b["plan"]["code"], b["status"], b["cancel_at_period_end"]) == ("basic", "active", True)
    assert (sub["items"]["data"][0]["price"]["lookup_key"], sub["status"], sub["cancel_at_period_end"]) == (
        "permitwatch_basic_monthly", "trialing", True)  # Stripe's own trial (the days left of ours) counts as subscribed
    assert b["addons"] == []  # the API pack went with Pro
    assert "ends on" in b["message"]
    some = stripe_standin.state.events[0]
    stale = resend(app, stripe_standin, some.event["id"], ts=int(datetime.now(UTC).timestamp()) - 301)
    future = resend(app, stripe_standin, some.event["id"], ts=int(datetime.now(UTC).timestamp()) + 3600)
    tampered = resend(app, stripe_standin, some.event["id"], payload=some.payload.replace('"livemode": false', '"livemode": true'))
    c = TestClient(app)
    unsigned = c.post("/webhooks/stripe", content=some.payload)
    wrong = c.post("/webhooks/stripe", content=some.payload, headers={"Stripe-Signature": "t=1,v1=" + "0" * 64})
    for resp in (stale, future, unsigned, wrong):
        assert resp.status_code == 403 and resp.json()["type"].endswith("/invalid-signature")
    # a re-signed payload with changes is a new body under a valid signature only if the secret is known: the stand-in knows it
    assert tampered.status_code == 200 and tampered.json()["applied"] is False  # same event id: processed once
    assert portal(stripe_standin, portal_url, action="cancel_now").status_code == 303
    send_held(app, stripe_standin)
    b = owner.get("/v1/billing").json()
    assert (b["status"], b["standing"]) == ("trialing", "trial")  # cancelled inside the trial: the trial's days remain
    audit = [e["action"] for e in owner.get("/v1/audit").json()["items"]]
    assert {"billing.subscribed", "billing.plan_changed", "billing.cancel_scheduled", "billing.canceled"} <= set(audit)


def test_failed_payment_keeps_alerts_through_grace_then_makes_the_workspace_read_only(app, visitor, smtp, web_settings, stripe_standin):
    owner = verified_owner(visitor, smtp)
    subscribe(app, owner, stripe_standin, "basic")
    area = owner.post("/v1/aois", json={"name": "Before", "geometry": SQUARE}).json()["id"]
    sub = next(o for o in stripe_standin.state.objects.values() if o["object"] == "subscription")
    httpx.post(f"{stripe_standin.url}/_standin/subscriptions/{sub['id']}/payment_failed")
    assert all(x.json()["applied"] for x in send_held(app, stripe_standin))
    b = owner.get("/v1/billing").json()
    assert (b["status"], b["standing"], b["days_left"]) == ("past_due", "grace", 7)
    failed_mail = [m for _, rcpts, m in smtp.messages if "owner@example.com" in rcpts and "payment" in m["Subject"]]
    assert len(failed_mail) == 1 and "Alerts keep coming until" in failed_mail[0].get_body(("plain",)).get_content()
    assert owner.post("/v1/aois", json={"name": "In grace", "geometry": SQUARE}).status_code == 201
    owner_sql(web_settings, "UPDATE workspaces SET past_due_since = now() - interval '8 days'")
    b = owner.get("/v1/billing").json()
    assert (b["standing"], "read-only" in b["message"]) == ("lapsed", True)
    refused = owner.post("/v1/aois", json={"name": "Lapsed", "geometry": SQUARE})
    assert refused.status_code == 402 and refused.json()["type"].endswith("/read-only") and refused.json()["detail"] == b["message"]
    assert owner.get("/v1/aois").status_code == 200
    assert owner.send("DELETE", f"/v1/aois/{area}").status_code == 204  # removing stays open
    assert owner.send("PATCH", "/v1/account", json={"display_name": "Still me"}).status_code == 200
    assert owner.post("/v1/notifications/read", json={}).status_code == 200  # alerts still arrive, and can be read
    assert owner.post("/v1/activity/map-viewed").status_code == 204
    httpx.post(f"{stripe_standin.url}/_standin/subscriptions/{sub['id']}/payment_succeeded")
    send_held(app, stripe_standin)
    assert owner.get("/v1/billing").json()["standing"] == "paid"
    assert owner.post("/v1/aois", json={"name": "Recovered", "geometry": SQUARE}).status_code == 201
    actions = [e["action"] for e in owner.get("/v1/audit").json()["items"]]
    assert "billing.payment_failed" in actions and "billing.payment_recovered" in actions


def test_trial_ending_value_mail_and_the_paused_notice_go_once(app, visitor, smtp, web_settings):
    owner = verified_owner(visitor, smtp, "ending@example.com")
    owner.post("/v1/aois", json={"name": "Spraberry", "geometry": SQUARE})
    owner_sql(web_settings, "UPDATE workspaces SET trial_ends_at = now() + interval '2 days 3 hours'")
    now = datetime.now(UTC)
    with psycopg.connect(web_settings.database_owner_url) as conn:
        first = notices.sweep(conn.cursor(), web_settings, now)
        conn.commit()
        second = notices.sweep(conn.cursor(), web_settings, now)
        conn.commit()
    assert (first["trial_ending"], second["trial_ending"]) == (1, 0)
    mails = [m for _, rcpts, m in smtp.messages if "ending@example.com" in rcpts and "trial ends" in m["Subject"]]
    assert len(mails) == 1
    text = mails[0].get_body(("plain",)).get_content()
    assert "Permits matched in your areas: 0" in text and "Choose Basic or Pro" in text and "/app#/billing" in text
    owner_sql(web_settings, "UPDATE workspaces SET trial_ends_at = now() - interval '1 hour'")
    with psycopg.connect(web_settings.database_owner_url) as conn:
        paused = [notices.sweep(conn.cursor(), web_settings, datetime.now(UTC))["paused"] for _ in range(2)]
        conn.commit()
    assert paused == [1, 0]
    assert any("alerts" in m["Subject"] and "paused" in m["Subject"] for _, rcpts, m in smtp.messages if "ending@example.com" in rcpts)


def test_texts_beyond_the_plan_are_metered_once_each(app, visitor, smtp, web_settings, stripe_standin):
    owner = verified_owner(visitor, smtp)
    subscribe(app, owner, stripe_standin, "basic")
    ws = uuid.UUID(owner.get("/auth/me").json()["workspace_id"])
    owner_sql(web_settings, """INSERT INTO notification_outbox (workspace_id, channel, to_address, status, kind, updated_at)
                               SELECT %s, 'sms', '+14325550100', 'sent', 'alert', date_trunc('month', now()) + n * interval '1 second'
                               FROM generate_series(1, 304) n""", (ws,))
    with psycopg.connect(web_settings.database_owner_url) as conn:
        assert metering.report_overage(conn, web_settings, datetime.now(UTC)) == 4
        assert metering.report_overage(conn, web_settings, datetime.now(UTC)) == 0
        ids = [r[0] for r in conn.execute("SELECT outbox_id FROM billing_meter_reports ORDER BY outbox_id")]
        conn.execute("DELETE FROM billing_meter_reports")  # as if the process died after Stripe took them
        conn.commit()
        assert metering.report_overage(conn, web_settings, datetime.now(UTC)) == 4
    last = owner_sql(web_settings, "SELECT id FROM notification_outbox WHERE workspace_id = %s ORDER BY updated_at DESC, id DESC LIMIT 4", (ws,))
    assert sorted(ids) == sorted(r[0] for r in last)
    events = httpx.get(f"{stripe_standin.url}/_standin/meter_events").json()["data"]
    assert sorted(e["identifier"] for e in events) == sorted(f"sms-{i}" for i in ids)
    customer = next(o for o in stripe_standin.state.objects.values() if o["object"] == "customer")
    assert {e["payload"]["stripe_customer_id"] for e in events} == {customer["id"]}
    b = owner.get("/v1/billing").json()
    assert (b["sms_beyond_plan"], b["sms_beyond_plan_cost"]) == (4, "16¢")


def test_plan_limits_show_at_eighty_percent_and_refuse_with_the_plan_that_allows_more(app, visitor, smtp, web_settings, stripe_standin):
    owner = verified_owner(visitor, smtp)
    subscribe(app, owner, stripe_standin, "basic")
    ws = uuid.UUID(owner.get("/auth/me").json()["workspace_id"])
    owner_sql(web_settings, """INSERT INTO aois (workspace_id, name, geom, buffer_meters)
                               SELECT %s, 'Area ' || n, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)), 0
                               FROM generate_series(1, 20) n""", (ws, json.dumps(SQUARE)))
    b = owner.get("/v1/billing").json()
    assert b["notices"] == [{"limit": "areas", "level": "near", "message": "You have used 20 of 25 areas (80%)."}]
    for n in range(5):
        assert owner.post("/v1/aois", json={"name": f"More {n}", "geometry": SQUARE}).status_code == 201
    refused = owner.post("/v1/aois", json={"name": "One too many", "geometry": SQUARE})
    assert refused.status_code == 402 and refused.json()["plan"] == "pro"
    assert refused.json()["detail"] == "Your Basic plan allows 25 areas; you have 25. The Pro plan allows 200."
    assert owner.get("/v1/billing").json()["notices"][0]["level"] == "reached"
