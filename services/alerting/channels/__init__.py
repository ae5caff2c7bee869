"""Delivery channels. Each provider sends one rendered message and returns the provider's
message id, raising `Retryable` (rate limits, 5xx, timeouts, refused connections) or
`Permanent` (bad address, bad credentials): the outbox decides what happens next."""

from __future__ import annotations

from dataclasses import dataclass


class DeliveryError(Exception):
    pass


class Retryable(DeliveryError):
    pass


class Permanent(DeliveryError):
    pass


@dataclass(frozen=True)
class Message:
    outbox_id: int
    channel: str
    to: str
    payload: dict
    ref: str | None = None  # names a message that has no outbox row (account e-mails)
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, media type, content), e-mail only

    @property
    def idempotency_key(self) -> str:
        # Neither Twilio's Messages API nor SendGrid's mail send takes an idempotency key;
        # this goes along as metadata (SendGrid custom_args, SMTP Message-ID) so a duplicate
        # can be recognised downstream.
        return self.ref or self.outbox_ref(self.outbox_id)

    @staticmethod
    def outbox_ref(outbox_id: int) -> str:
        return f"permitwatch-outbox-{outbox_id}"
