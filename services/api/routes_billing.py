"""Billing: the plan and usage (members), Checkout and the Customer Portal (the owner), the
public catalogue, and Stripe's signed webhook. Thin over services.billing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header

from services.api.deps import PUBLIC, Member, Owner, SignedByProvider
from services.api.routes_webhooks import raw_body
from services.api.schemas import BillingOut, Catalogue, CheckoutIn, RedirectOut, StripeReceived
from services.billing import checkout, events, summary
from services.entitlements.plans import Choice

router = APIRouter(tags=["billing"])


@router.get("/v1/billing", response_model=BillingOut, summary="The plan, trial or subscription, next invoice, and this month's usage")
def billing(ctx: Member) -> dict:
    return summary.build(ctx.cur, ctx.workspace_id, datetime.now(UTC))


@router.get("/v1/billing/plans", response_model=Catalogue, dependencies=[PUBLIC], summary="Plans, add-ons and prices")
def plans() -> dict:
    return summary.catalogue()


@router.post("/v1/billing/checkout", response_model=RedirectOut, summary="Start a subscription: the Stripe Checkout page to open")
def start_checkout(body: CheckoutIn, ctx: Owner) -> RedirectOut:
    url = checkout.start(ctx.cur, ctx.settings, ctx.workspace_id, ctx.user.user_id, Choice(body.plan, dict(body.addons)), datetime.now(UTC))
    return RedirectOut(url=url)


@router.post("/v1/billing/portal", response_model=RedirectOut, summary="Manage or cancel the subscription: the Stripe Customer Portal page to open")
def open_portal(ctx: Owner) -> RedirectOut:
    return RedirectOut(url=checkout.portal(ctx.cur, ctx.settings, ctx.workspace_id))


@router.post("/webhooks/stripe", response_model=StripeReceived, tags=["webhooks"],
             summary="Stripe events: checkout, subscription and invoice changes (Stripe-Signature verified)")
def stripe_webhook(ctx: SignedByProvider, body: Annotated[bytes, Depends(raw_body)],
                         stripe_signature: Annotated[str | None, Header(max_length=1000)] = None) -> StripeReceived:
    outcome = events.handle(ctx.cur, ctx.settings, body, stripe_signature)
    return StripeReceived(applied=outcome.applied)
