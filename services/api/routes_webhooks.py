"""Provider webhooks: Twilio delivery receipts and inbound SMS keywords (STOP, START,
HELP), SendGrid's signed event webhook. Public routes whose caller is proven by the
provider's signature; thin over services.alerting.webhooks and services.tenancy.profile."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from services.alerting import receipts, webhooks
from services.api.deps import SignedByProvider
from services.api.schemas import WebhookResult
from services.tenancy import phones, profile

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
TWIML = "text/xml"
MAX_BODY = 1024 * 1024


async def form_params(request: Request) -> dict[str, str]:
    """Twilio posts form fields; all of them are signed, so all are kept."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise webhooks.WebhookRefused(413, "too-large", "a webhook body is at most 1 MB")
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def raw_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise webhooks.WebhookRefused(413, "too-large", "a webhook body is at most 1 MB")
    return body


def _public_url(ctx) -> str:
    """The URL Twilio signed: our public address, not the one a proxy forwarded to."""
    query = ctx.request.url.query
    return ctx.settings.public_base_url.rstrip("/") + ctx.request.url.path + (f"?{query}" if query else "")


Form = Annotated[dict[str, str], Depends(form_params)]


@router.post("/twilio/status", response_model=WebhookResult, summary="Twilio SMS delivery receipt (X-Twilio-Signature verified)")
def twilio_status(ctx: SignedByProvider, params: Form, x_twilio_signature: Annotated[str | None, Header(max_length=200)] = None,
                  outbox: Annotated[str | None, Query(max_length=40, description="the outbox row the SMS was sent for")] = None) -> WebhookResult:
    webhooks.check_twilio(ctx.settings, _public_url(ctx), params, x_twilio_signature)
    key = f"{params.get('MessageSid', '')}:{params.get('MessageStatus', '')}"
    if not webhooks.first_time(ctx.cur, "twilio-status", key):
        webhooks.refuse_replay("twilio-status", key)
    r = receipts.from_twilio(params, outbox)
    return WebhookResult(recorded=1 if r and webhooks.apply(ctx.cur, r) else 0)


@router.post("/twilio/sms", response_model=None, summary="Inbound SMS: STOP, START and HELP keywords (X-Twilio-Signature verified)",
             response_class=Response, responses={200: {"content": {TWIML: {"schema": {"type": "string"}}}}})
def twilio_inbound(ctx: SignedByProvider, params: Form, x_twilio_signature: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    webhooks.check_twilio(ctx.settings, _public_url(ctx), params, x_twilio_signature)
    key = params.get("MessageSid", "")
    if not webhooks.first_time(ctx.cur, "twilio-sms", key):
        webhooks.refuse_replay("twilio-sms", key)
    word = phones.keyword(params.get("Body", ""))
    reply = ""
    if word in ("stop", "start"):
        try:
            sender = phones.normalize_phone(params.get("From", ""))
        except phones.PhoneError:
            sender = None
        if sender:
            profile.sms_keyword(ctx.cur, sender, word)
    elif word == "help":
        reply = (f"<Message>permitwatch permit alerts. Reply STOP to stop texts, START to resume. Settings: "
                 f"{ctx.settings.public_base_url.rstrip('/')}/app#/account</Message>")
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{reply}</Response>', media_type=TWIML)


@router.post("/sendgrid/events", response_model=WebhookResult, summary="SendGrid event webhook: delivered, bounce, dropped (ECDSA signature verified)")
def sendgrid_events(ctx: SignedByProvider, body: Annotated[bytes, Depends(raw_body)],
                    x_twilio_email_event_webhook_signature: Annotated[str | None, Header(max_length=400)] = None,
                    x_twilio_email_event_webhook_timestamp: Annotated[str | None, Header(max_length=20)] = None) -> WebhookResult:
    webhooks.check_sendgrid(ctx.settings, body, x_twilio_email_event_webhook_signature, x_twilio_email_event_webhook_timestamp)
    try:
        events = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise webhooks.WebhookRefused(400, "invalid-body", "the body is not a JSON list of events") from None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise webhooks.WebhookRefused(400, "invalid-body", "the body is not a JSON list of events")
    fresh = [e for e in events if webhooks.first_time(ctx.cur, "sendgrid", str(e.get("sg_event_id") or json.dumps(e, sort_keys=True)))]
    if events and not fresh:
        webhooks.refuse_replay("sendgrid", str(events[0].get("sg_event_id")))
    recorded = sum(1 for e in fresh if (r := receipts.from_sendgrid(e)) and webhooks.apply(ctx.cur, r))
    return WebhookResult(recorded=recorded)
