"""Stripe through the official SDK: the catalogue made from services.entitlements.plans, checkout
and portal sessions, a subscription's current state, and meter events. Every write carries
an idempotency key derived from what it is for, so a retried job cannot buy twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe

from services.entitlements.plans import ADDONS, CURRENCY, PLANS, SMS_OVERAGE, Choice, choice_from_items, line_items
from services.errors import DomainError
from services.settings import Settings

# No telemetry header and no ~/.config/stripe/telemetry_id written: the SDK tells nobody
# anything beyond the call itself.
stripe.enable_telemetry = False


class BillingUnavailable(DomainError):
    """Stripe is not configured or did not answer; nothing was bought or changed."""


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    customer: str
    status: str  # Stripe's: trialing, active, past_due, unpaid, canceled, incomplete, incomplete_expired, paused
    choice: Choice | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    workspace: str | None  # the metadata we set at checkout


def client(settings: Settings) -> stripe.StripeClient:
    if not settings.stripe_secret_key:
        raise BillingUnavailable("billing is not set up on this server (PERMITWATCH_STRIPE_SECRET_KEY is missing)")
    addresses = {"api": settings.stripe_api_base.rstrip("/")} if settings.stripe_api_base else None
    return stripe.StripeClient(settings.stripe_secret_key, base_addresses=addresses,
                               http_client=stripe.RequestsClient(timeout=settings.stripe_timeout_seconds), max_network_retries=2)


def _call(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except stripe.StripeError as exc:
        raise BillingUnavailable(f"Stripe did not accept the request ({exc.user_message or type(exc).__name__}); try again shortly") from exc


def _all_lookup_keys() -> list[str]:
    return [p.lookup_key for p in PLANS.values() if p.lookup_key] + [a.lookup_key for a in ADDONS.values()] + [SMS_OVERAGE.lookup_key]


def prices(sc: stripe.StripeClient) -> dict[str, str]:
    """Price id by lookup key, for the catalogue's prices that exist in Stripe."""
    found = _call(sc.v1.prices.list, {"lookup_keys": _all_lookup_keys(), "active": True, "limit": 100})
    return {p.lookup_key: p.id for p in found.data if p.lookup_key}


def sync_catalog(sc: stripe.StripeClient) -> list[str]:
    """Create in Stripe what the catalogue has and Stripe lacks; the lookup keys created."""
    have, made = prices(sc), []
    meter_id = None
    if SMS_OVERAGE.lookup_key not in have:
        meters = _call(sc.v1.billing.meters.list, {"status": "active", "limit": 100})
        meter = next((m for m in meters.data if m.event_name == SMS_OVERAGE.meter_event), None) or _call(
            sc.v1.billing.meters.create, {"display_name": SMS_OVERAGE.name, "event_name": SMS_OVERAGE.meter_event,
                                          "default_aggregation": {"formula": "sum"}}, {"idempotency_key": f"meter-{SMS_OVERAGE.meter_event}"})
        meter_id = meter.id
    wanted = [(p.lookup_key, p.name, p.summary, p.cents_per_month, None) for p in PLANS.values() if p.lookup_key]
    wanted += [(a.lookup_key, a.name, a.unit, a.cents_per_month, None) for a in ADDONS.values()]
    wanted.append((SMS_OVERAGE.lookup_key, SMS_OVERAGE.name, "Each text message beyond the plan's", SMS_OVERAGE.cents_each, meter_id))
    for key, name, description, cents, meter in wanted:
        if key in have:
            continue
        product = _call(sc.v1.products.create, {"name": f"permitwatch {name}", "description": description}, {"idempotency_key": f"product-{key}"})
        recurring = {"interval": "month"} | ({"usage_type": "metered", "meter": meter} if meter else {})
        amount = {"unit_amount_decimal": f"{cents:g}"} if meter else {"unit_amount": int(cents)}
        _call(sc.v1.prices.create, {"product": product.id, "currency": CURRENCY, "lookup_key": key, "recurring": recurring, **amount},
              {"idempotency_key": f"price-{key}"})
        made.append(key)
    return made


def ensure_customer(sc: stripe.StripeClient, workspace: uuid.UUID, name: str, email: str) -> str:
    cus = _call(sc.v1.customers.create, {"name": name, "email": email, "metadata": {"workspace_id": str(workspace)}},
                {"idempotency_key": f"customer-{workspace}"})
    return cus.id


def checkout_url(sc: stripe.StripeClient, *, workspace: uuid.UUID, customer: str, choice: Choice, trial_end: datetime | None,
                 base_url: str, attempt: str) -> str:
    by_key = prices(sc)
    missing = [k for k, _ in line_items(choice) if k not in by_key]
    if missing or SMS_OVERAGE.lookup_key not in by_key:
        raise BillingUnavailable("the plans are not set up in Stripe yet; run `permitwatch billing catalog`")
    items = [{"price": by_key[k], "quantity": q} for k, q in line_items(choice)] + [{"price": by_key[SMS_OVERAGE.lookup_key]}]
    sub = {"metadata": {"workspace_id": str(workspace)}}
    if trial_end is not None:
        sub["trial_end"] = int(trial_end.timestamp())  # the days left of the trial stay free
    base = base_url.rstrip("/")
    session = _call(sc.v1.checkout.sessions.create, {
        "mode": "subscription", "customer": customer, "client_reference_id": str(workspace), "line_items": items,
        "subscription_data": sub, "success_url": f"{base}/app#/billing?checkout=done", "cancel_url": f"{base}/app#/billing",
        "metadata": {"workspace_id": str(workspace)}}, {"idempotency_key": f"checkout-{workspace}-{attempt}"})
    return session.url


def portal_url(sc: stripe.StripeClient, customer: str, base_url: str) -> str:
    session = _call(sc.v1.billing_portal.sessions.create, {"customer": customer, "return_url": f"{base_url.rstrip('/')}/app#/billing"})
    return session.url


def _when(ts) -> datetime | None:
    return datetime.fromtimestamp(int(ts), UTC) if ts else None


def subscription(sc: stripe.StripeClient, sub_id: str) -> SubscriptionState:
    s = _call(sc.v1.subscriptions.retrieve, sub_id).to_dict()
    items = s["items"]["data"]
    held = [(i["price"].get("lookup_key"), int(i.get("quantity") or 0)) for i in items]
    ends = [i.get("current_period_end") for i in items if i.get("current_period_end")] or [s.get("current_period_end")]
    customer = s["customer"] if isinstance(s["customer"], str) else s["customer"]["id"]
    return SubscriptionState(s["id"], customer, s["status"], choice_from_items(held),
                             _when(min(e for e in ends if e) if any(ends) else None), bool(s.get("cancel_at_period_end")),
                             (s.get("metadata") or {}).get("workspace_id"))


def report_sms(sc: stripe.StripeClient, customer: str, outbox_id: int, sent_at: datetime) -> None:
    """One text message beyond the plan; Stripe drops a second event with the same identifier."""
    _call(sc.v1.billing.meter_events.create, {"event_name": SMS_OVERAGE.meter_event, "identifier": f"sms-{outbox_id}",
                                              "timestamp": int(sent_at.timestamp()),
                                              "payload": {"stripe_customer_id": customer, "value": "1"}})
