"""PURE: what a provider's delivery report means for an outbox row: delivered,
undelivered or bounced, and whether the address is unreachable for good (which pauses
that channel for that person until they change and verify it)."""

from __future__ import annotations

from dataclasses import dataclass

# Twilio error codes that say the number itself cannot take our messages.
# https://www.twilio.com/docs/api/errors: 21211 invalid 'To', 21610 unsubscribed (STOP),
# 21614 not a mobile number, 30003 unreachable handset is transient and not listed,
# 30004 blocked, 30005 unknown or inactive number, 30006 landline or unreachable carrier.
TWILIO_PERMANENT = {"21211": "the number is not valid", "21610": "the number replied STOP",
                    "21614": "the number is not a mobile number", "30004": "the carrier blocked our messages",
                    "30005": "the number is unknown or no longer in service", "30006": "the number cannot receive text messages"}


@dataclass(frozen=True)
class Receipt:
    outbox_id: int
    channel: str
    message_id: str
    state: str  # delivered | undelivered | bounced
    code: str | None
    pause_reason: str | None


def outbox_id_from_ref(ref: str | int | None) -> int | None:
    """'permitwatch-outbox-42' (SendGrid custom arg) or '42' (Twilio callback query) -> 42."""
    text = str(ref or "").removeprefix("permitwatch-outbox-")
    return int(text) if text.isdigit() and len(text) < 19 else None


def from_twilio(params: dict[str, str], outbox_ref: str | None) -> Receipt | None:
    """A Twilio status callback; None for states that are not an outcome (queued, sent...)."""
    outbox = outbox_id_from_ref(outbox_ref)
    status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if outbox is None or not sid:
        return None
    code = (params.get("ErrorCode") or "").strip() or None
    if status == "delivered":
        return Receipt(outbox, "sms", sid, "delivered", None, None)
    if status in ("undelivered", "failed"):
        return Receipt(outbox, "sms", sid, "undelivered", code, TWILIO_PERMANENT.get(code or ""))
    return None


def from_sendgrid(event: dict) -> Receipt | None:
    """One SendGrid event; None for events that are not an outcome (processed, open...)."""
    outbox = outbox_id_from_ref(event.get("outbox_id"))
    message_id = str(event.get("sg_message_id") or "")
    kind = event.get("event")
    if outbox is None or not message_id:
        return None
    code = str(event.get("status") or "") or None
    if kind == "delivered":
        return Receipt(outbox, "email", message_id, "delivered", None, None)
    if kind == "bounce":
        hard = event.get("type", "bounce") == "bounce"  # "blocked" is a soft, temporary refusal
        reason = f"the address bounced: {str(event.get('reason') or 'no reason given')[:200]}" if hard else None
        return Receipt(outbox, "email", message_id, "bounced" if hard else "undelivered", code, reason)
    if kind == "dropped":
        reason = str(event.get("reason") or "")
        permanent = reason in ("Bounced Address", "Invalid", "Unsubscribed Address", "Spam Reporting Address")
        return Receipt(outbox, "email", message_id, "bounced", code, f"the address was dropped: {reason}" if permanent else None)
    return None
