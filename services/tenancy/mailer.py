"""Sending account e-mails (verification, reset, invitation) and texts (phone codes)
through the alert providers. Called after the response, so what they carry is committed."""

from __future__ import annotations

import logging

from services.alerting.channels import DeliveryError, Message
from services.settings import Settings
from services.tenancy import account_mail

log = logging.getLogger(__name__)


def send_sms(settings: Settings, to: str, text: str, ref: str) -> None:
    """An account text (a verification code) through the alert SMS provider."""
    _send(settings, Message(outbox_id=0, channel="sms", to=to, payload={"text": text}, ref=ref), "text")


def send_mail(settings: Settings, to: str, payload: dict, ref: str) -> None:
    _send(settings, account_mail.message(to, payload, ref), "e-mail")


def _send(settings: Settings, message: Message, what: str) -> None:
    from services.alerting.delivery import providers_from

    provider = providers_from(settings).get(message.channel)
    if provider is None:
        log.warning("no %s provider configured; %s to %s not sent", message.channel, message.ref, message.to)
        return
    try:
        provider.send(message)
    except DeliveryError as exc:
        # The user sees "send it again" in the app; nothing else depends on this message.
        log.error("account %s %s to %s failed: %s", what, message.ref, message.to, exc)
