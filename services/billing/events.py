"""Stripe's webhook: the signature checked by the SDK (and a timestamp from the future
refused, which the SDK lets pass), each event processed once by its id, and the
subscription's state read back from Stripe rather than from the event, so events that
arrive late, twice or out of order all leave the workspace as Stripe has it now."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import stripe

from services.alerting.webhooks import WebhookRefused, first_time
from services.audit.trail import audit
from services.billing import notices
from services.billing.stripe_api import SubscriptionState, client, subscription
from services.db.engine import set_tenant
from services.entitlements import checks as account
from services.settings import Settings

log = logging.getLogger("permitwatch.billing")
TOLERANCE = 300
HANDLED = ("checkout.session.completed", "customer.subscription.created", "customer.subscription.updated",
           "customer.subscription.deleted", "customer.subscription.trial_will_end", "invoice.paid", "invoice.payment_failed")
STATUS = {"trialing": "active", "active": "active", "past_due": "past_due", "unpaid": "past_due", "canceled": "canceled",
          "incomplete_expired": "canceled", "paused": "canceled"}


@dataclass(frozen=True)
class Outcome:
    event_id: str
    type: str
    applied: bool  # False: a repeat, or a type we do not act on


def verify(settings: Settings, body: bytes, header: str | None, now: datetime) -> stripe.Event:
    if not settings.stripe_webhook_secret:
        raise WebhookRefused(503, "webhook-not-configured", "Stripe webhooks need PERMITWATCH_STRIPE_WEBHOOK_SECRET")
    try:
        event = stripe.Webhook.construct_event(body, header or "", settings.stripe_webhook_secret, tolerance=TOLERANCE)
        sent = int(dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p).get("t", ""))
    except (stripe.SignatureVerificationError, ValueError):
        log.warning("refused a Stripe webhook with %s signature", "a bad" if header else "no")
        raise WebhookRefused(403, "invalid-signature", "the Stripe-Signature header does not match this request or is too old") from None
    if sent > now.timestamp() + TOLERANCE:
        raise WebhookRefused(403, "invalid-signature", "the Stripe-Signature timestamp is in the future")
    return event


def handle(cur: psycopg.Cursor, settings: Settings, body: bytes, header: str | None, now: datetime | None = None) -> Outcome:
    now = now or datetime.now(UTC)
    event = verify(settings, body, header, now)
    if not first_time(cur, "stripe", event.id):
        return Outcome(event.id, event.type, False)
    if event.type not in HANDLED:
        return Outcome(event.id, event.type, False)
    obj = event.data.object.to_dict()  # plain dicts: StripeObject has no .get
    sc = client(settings)
    if event.type == "checkout.session.completed":
        ws = _workspace(cur, obj.get("customer"), obj.get("client_reference_id"))
        sub_id = obj.get("subscription")
    elif event.type.startswith("customer.subscription."):
        ws, sub_id = _workspace(cur, obj.get("customer"), (obj.get("metadata") or {}).get("workspace_id")), obj.get("id")
    else:  # invoices
        ws, sub_id = _workspace(cur, obj.get("customer"), None), _invoice_subscription(obj)
    if ws is None or not sub_id:
        log.warning("Stripe event %s (%s) names no workspace of ours; recorded and ignored", event.id, event.type)
        return Outcome(event.id, event.type, False)
    set_tenant(cur, ws, None)
    cur.execute("SELECT 1 FROM workspaces WHERE id = %s FOR UPDATE", (ws,))  # one event per workspace at a time
    apply(cur, ws, subscription(sc, sub_id), now)
    if event.type == "customer.subscription.trial_will_end":
        notices.trial_ending(cur, settings, ws, now)
    elif event.type == "invoice.payment_failed":
        notices.payment_failed(cur, settings, ws, obj.get("id") or event.id)
    return Outcome(event.id, event.type, True)


def _invoice_subscription(invoice) -> str | None:
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return parent.get("subscription") or invoice.get("subscription")


def _workspace(cur: psycopg.Cursor, customer: str | None, reference: str | None) -> uuid.UUID | None:
    if customer:
        found = cur.execute("SELECT workspace_of_stripe_customer(%s)", (customer,)).fetchone()[0]
        if found is not None:
            return found
    try:
        ws = uuid.UUID(reference or "")
    except ValueError:
        return None
    # A checkout's first event may arrive before we stored the customer: link it now, if
    # the workspace has no other customer.
    set_tenant(cur, ws, None)
    row = cur.execute("UPDATE workspaces SET stripe_customer_id = coalesce(stripe_customer_id, %s) WHERE id = %s "
                      "RETURNING stripe_customer_id", (customer, ws)).fetchone()
    return ws if row is not None and (customer is None or row[0] == customer) else None


def apply(cur: psycopg.Cursor, ws: uuid.UUID, sub: SubscriptionState, now: datetime) -> None:
    """Make the workspace what the subscription is; audit what changed."""
    before = account.load(cur, ws)
    status = STATUS.get(sub.status)
    if status is None or sub.choice is None:  # incomplete: the first payment is not through yet
        return
    plan, addons = sub.choice.plan, sub.choice.addons
    if status == "canceled" and before.trial_ends_at and before.trial_ends_at > now:
        plan, status, addons = "trial", "trialing", {}  # the trial's days were the user's own
    past_due_since = (before.past_due_since or now) if status == "past_due" else None
    cur.execute("""UPDATE workspaces SET plan = %s, billing_status = %s, addons = %s::jsonb, current_period_end = %s,
                   cancel_at_period_end = %s, past_due_since = %s, stripe_subscription_id = %s, stripe_customer_id = %s,
                   stripe_synced_at = %s WHERE id = %s""",
                (plan, status, _json(addons), sub.current_period_end, sub.cancel_at_period_end, past_due_since, sub.id, sub.customer, now, ws))
    for action, meta in _changes(before, plan, status, addons, sub):
        audit(cur, ws, None, action, "subscription", sub.id, meta)


def _changes(before: account.Billing, plan: str, status: str, addons: dict, sub: SubscriptionState) -> list[tuple[str, dict]]:
    out = []
    if before.status not in ("active", "past_due") and status == "active":
        out.append(("billing.subscribed", {"plan": plan, "addons": addons}))
    elif plan != before.plan and status != "canceled":
        out.append(("billing.plan_changed", {"from": before.plan, "to": plan}))
    if addons != before.addons and status == "active" and before.status in ("active", "past_due"):
        out.append(("billing.addons_changed", {"from": before.addons, "to": addons}))
    if status == "past_due" and before.status != "past_due":
        out.append(("billing.payment_failed", {"plan": plan}))
    if status == "active" and before.status == "past_due":
        out.append(("billing.payment_recovered", {"plan": plan}))
    if status in ("canceled", "trialing") and before.status in ("active", "past_due"):
        out.append(("billing.canceled", {"plan": before.plan}))
    if sub.cancel_at_period_end != before.cancel_at_period_end and status == "active":
        out.append(("billing.cancel_scheduled" if sub.cancel_at_period_end else "billing.renewed",
                    {"ends": sub.current_period_end.isoformat() if sub.current_period_end else None}))
    return out


def _json(value: dict) -> str:
    return json.dumps(value, sort_keys=True)
