"""Sending account e-mails (verification, reset, invitation) through the alert e-mail
provider. Called after the response, so the link inside is already committed."""

from __future__ import annotations

import logging

from services.alerting.channels import DeliveryError
from services.settings import Settings
from services.tenancy import account_mail

log = logging.getLogger(__name__)


def send_sms(settings: Settings, to: str, text: str, ref: str) -> None:
    """An account text (a verification code) through the alert SMS provider."""
    from services.alerting.channels import Message
    from services.alerting.delivery import providers_from

    provider = providers_from(settings).get("sms")
    if provider is None:
        log.warning("no SMS provider configured; %s to %s not sent", ref, to)
        return
    try:
        provider.send(Message(outbox_id=0, channel="sms", to=to, payload={"text": text}, ref=ref))
    except DeliveryError as exc:
        log.error("account text %s to %s failed: %s", ref, to, exc)


def send_mail(settings: Settings, to: str, payload: dict, ref: str) -> None:
    from services.alerting.delivery import providers_from

    provider = providers_from(settings).get("email")
    if provider is None:
        log.warning("no e-mail provider configured; %s to %s not sent", ref, to)
        return
    try:
        provider.send(account_mail.message(to, payload, ref))
    except DeliveryError as exc:
        # The user sees "send the link again" in the app; nothing else depends on this mail.
        log.error("account e-mail %s to %s failed: %s", ref, to, exc)
