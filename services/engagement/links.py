"""PURE. The token an alert link carries: which delivery it came from (the outbox row), and
a MAC so a link cannot be made up. Short, because it goes into a 160-character text."""

from __future__ import annotations

import base64
import hashlib
import hmac

MAC_CHARS = 10


def _mac(secret: str, outbox_id: int) -> str:
    digest = hmac.new(secret.encode(), f"alert-link:{outbox_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARS]


def _base36(n: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = chars[r] + out
        if not n:
            return out


def token(secret: str, outbox_id: int) -> str:
    return f"{_base36(outbox_id)}{_mac(secret, outbox_id)}"


def outbox_of(secret: str, value: str | None) -> int | None:
    """The outbox row a token names, or None for anything else."""
    if not value or len(value) <= MAC_CHARS or len(value) > MAC_CHARS + 13:
        return None
    head, mac = value[:-MAC_CHARS], value[-MAC_CHARS:]
    try:
        outbox_id = int(head, 36)
    except ValueError:
        return None
    return outbox_id if hmac.compare_digest(mac, _mac(secret, outbox_id)) else None
