"""PURE: phone numbers as people type them, made E.164 (US numbers first), and the
6-digit verification code's rules: hashed, 10 minutes, 5 tries, limited resends."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from services.errors import FieldError

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=30)
MAX_SENDS_PER_HOUR = 5
# Carrier keywords (CTIA): these words from a number stop, restart or explain our messages.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_WORDS = {"START", "YES", "UNSTOP", "OPTIN"}
HELP_WORDS = {"HELP", "INFO"}


class PhoneError(FieldError):
    """A phone number or code that cannot be used."""


def normalize_phone(raw: str) -> str:
    """'(512) 555-0100', '512.555.0100', '1 512 555 0100' -> '+15125550100'; other
    countries need their + and country code."""
    text = (raw or "").strip()
    if not text or len(text) > 32:
        raise PhoneError("phone", "enter a mobile number, e.g. (512) 555-0100")
    digits = re.sub(r"[\s().\-]", "", text)
    if digits.startswith("+"):
        body = digits[1:]
        if not body.isdigit() or not 8 <= len(body) <= 15 or body.startswith("0"):
            raise PhoneError("phone", f"{raw!r} is not an international number (+ country code and number)")
        if body.startswith("1"):
            _check_nanp(body[1:], raw)
        return "+" + body
    if not digits.isdigit():
        raise PhoneError("phone", f"{raw!r} has characters a phone number does not")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise PhoneError("phone", f"{raw!r} is not a 10-digit US number; for another country start with + and its code")
    _check_nanp(digits, raw)
    return "+1" + digits


def _check_nanp(ten: str, raw: str) -> None:
    if len(ten) != 10 or ten[0] in "01" or ten[3] in "01":
        raise PhoneError("phone", f"{raw!r} is not a valid US number (area code and exchange cannot start with 0 or 1)")


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def code_hash(secret_key: str, user_id: str, phone: str, code: str) -> str:
    """Keyed, and bound to the user and number: a copied hash proves nothing elsewhere."""
    return hmac.new(secret_key.encode(), f"{user_id}|{phone}|{code}".encode(), hashlib.sha256).hexdigest()


def check_code_shape(code: str) -> str:
    code = (code or "").strip()
    if not re.fullmatch(r"\d{6}", code):
        raise PhoneError("code", "the code is the 6 digits in the text message")
    return code


def resend_refusal(now: datetime, first_sent: datetime, last_sent: datetime, sends: int) -> str | None:
    """Why another code may not be sent yet, or None."""
    if now - last_sent < RESEND_AFTER:
        return f"a code was sent {int((now - last_sent).total_seconds())} s ago; wait {int((RESEND_AFTER - (now - last_sent)).total_seconds()) + 1} s"
    if now - first_sent < timedelta(hours=1) and sends >= MAX_SENDS_PER_HOUR:
        return f"{MAX_SENDS_PER_HOUR} codes were sent in the last hour; try again later"
    return None


def keyword(body: str) -> str | None:
    """'stop' | 'start' | 'help' for a carrier keyword (first word, any case), else None."""
    word = (body or "").strip().split(maxsplit=1)[0].upper().strip(".!") if (body or "").strip() else ""
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None
