"""Provider webhooks in: Twilio's request signature (HMAC-SHA1 over the URL and form
parameters) and SendGrid's signed event webhook (ECDSA over timestamp + body) checked with
the official SDKs' verifiers; each call remembered so a replay is refused."""

from __future__ import annotations

import binascii
import logging
from datetime import UTC, datetime, timedelta

import psycopg

from services.alerting.receipts import Receipt
from services.errors import DomainError
from services.settings import Settings

log = logging.getLogger("permitwatch.webhooks")
SENDGRID_MAX_SKEW = timedelta(minutes=10)


class WebhookRefused(DomainError):
    """A webhook call that is not provably from the provider, or was already processed."""

    def __init__(self, status: int, slug: str, detail: str):
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail


def check_twilio(settings: Settings, url: str, params: dict[str, str], signature: str | None) -> None:
    from twilio.request_validator import RequestValidator

    if not settings.twilio_auth_token:
        raise WebhookRefused(503, "webhook-not-configured", "Twilio webhooks need PERMITWATCH_TWILIO_AUTH_TOKEN")
    if not signature or not RequestValidator(settings.twilio_auth_token).validate(url, params, signature):
        log.warning("refused a Twilio webhook with %s signature for %s", "a bad" if signature else "no", url)
        raise WebhookRefused(403, "invalid-signature", "the X-Twilio-Signature header does not match this request")


def check_sendgrid(settings: Settings, body: bytes, signature: str | None, timestamp: str | None, now: datetime | None = None) -> None:
    from sendgrid.helpers.eventwebhook import EventWebhook

    if not settings.sendgrid_webhook_public_key:
        raise WebhookRefused(503, "webhook-not-configured", "SendGrid webhooks need PERMITWATCH_SENDGRID_WEBHOOK_PUBLIC_KEY")
    now = now or datetime.now(UTC)
    try:
        sent_at = datetime.fromtimestamp(int(timestamp or ""), UTC)
    except (ValueError, OverflowError, OSError):
        sent_at = None
    if sent_at is None or abs(now - sent_at) > SENDGRID_MAX_SKEW:
        log.warning("refused a SendGrid webhook with timestamp %r", timestamp)
        raise WebhookRefused(403, "stale-or-missing-timestamp", "the signed timestamp is missing or more than 10 minutes off")
    try:
        ok = bool(signature) and EventWebhook(settings.sendgrid_webhook_public_key).verify_signature(body.decode("utf-8"), signature, timestamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        ok = False
    if not ok:
        log.warning("refused a SendGrid webhook with %s signature", "a bad" if signature else "no")
        raise WebhookRefused(403, "invalid-signature", "the event webhook signature does not match this request")


def first_time(cur: psycopg.Cursor, provider: str, key: str) -> bool:
    """Remember a processed call; False when it was seen before (a replay)."""
    cur.execute("INSERT INTO webhook_events (provider, event_key) VALUES (%s, %s) ON CONFLICT DO NOTHING", (provider, key[:300]))
    return cur.rowcount == 1


def refuse_replay(provider: str, key: str) -> None:
    log.warning("refused a replayed %s webhook %s", provider, key[:80])
    raise WebhookRefused(409, "replayed", "this webhook call was already processed")


def apply(cur: psycopg.Cursor, r: Receipt) -> bool:
    """Write a receipt on its outbox row (and pause the channel for that person when the
    address is unreachable); False when no row sent under that message id matches."""
    return cur.execute("SELECT record_delivery_receipt(%s, %s, %s, %s, %s, %s)",
                       (r.outbox_id, r.channel, r.message_id, r.state, r.code, r.pause_reason)).fetchone()[0]
