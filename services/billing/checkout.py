"""Starting a subscription (Stripe Checkout) and managing one (the Customer Portal). The
subscription itself changes only when Stripe's webhook says so (services.billing.events)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import psycopg

from services.audit.trail import audit
from services.billing.stripe_api import checkout_url, client, ensure_customer, portal_url
from services.entitlements import checks as account
from services.entitlements.plans import Choice, check_choice
from services.errors import DomainError, FieldError
from services.settings import Settings

STRIPE_MIN_TRIAL = timedelta(hours=48)  # Stripe refuses a trial_end sooner than this


class AlreadySubscribed(DomainError):
    pass


def start(cur: psycopg.Cursor, settings: Settings, ws: uuid.UUID, actor: uuid.UUID, choice: Choice, now: datetime) -> str:
    """The Checkout page's address for this plan and add-ons."""
    try:
        choice = check_choice(choice)
    except ValueError as exc:
        raise FieldError(exc.field, exc.detail) from None
    b = account.load(cur, ws)
    if b.status in ("active", "past_due"):
        raise AlreadySubscribed("this workspace already has a subscription: change its plan or add-ons in Manage billing")
    sc = client(settings)
    customer = cur.execute("SELECT stripe_customer_id FROM workspaces WHERE id = %s", (ws,)).fetchone()[0]
    if customer is None:
        name, email = cur.execute("SELECT w.name, u.email FROM workspaces w, users u WHERE w.id = %s AND u.id = %s", (ws, actor)).fetchone()
        customer = ensure_customer(sc, ws, name, email)
        cur.execute("UPDATE workspaces SET stripe_customer_id = %s WHERE id = %s", (customer, ws))
    # The trial's remaining days stay free when the user subscribes early.
    trial_end = b.trial_ends_at if b.status == "trialing" and b.trial_ends_at and b.trial_ends_at - now > STRIPE_MIN_TRIAL else None
    url = checkout_url(sc, workspace=ws, customer=customer, choice=choice, trial_end=trial_end, base_url=settings.public_base_url,
                       attempt=uuid.uuid4().hex)
    audit(cur, ws, actor, "billing.checkout_started", "workspace", ws, {"plan": choice.plan, "addons": choice.addons})
    return url


def portal(cur: psycopg.Cursor, settings: Settings, ws: uuid.UUID) -> str:
    customer = cur.execute("SELECT stripe_customer_id FROM workspaces WHERE id = %s", (ws,)).fetchone()[0]
    if customer is None:
        raise DomainError("this workspace has no subscription yet: choose a plan first")
    return portal_url(client(settings), customer, settings.public_base_url)
