"""PURE: how an outbound webhook is signed, and how a receiver checks it.

A delivery carries `Permitwatch-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`, each `v1`
the HMAC-SHA256 of `<t>.<body>` under one of the endpoint's live secrets (two while a rotated
secret's overlap lasts). A receiver accepts when any `v1` matches a secret it holds and `t` is
within five minutes of its clock; the timestamp is inside the signature, so an old delivery
replayed later fails the window, and the event id lets it drop a repeat inside it.

Secrets are not stored: the database keeps a random salt per secret, and the secret is the
HMAC of that salt under the server's own key, so a copy of the database alone cannot forge a
delivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

HEADER = "Permitwatch-Signature"
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def secret_for(server_key: str, salt: bytes) -> str:
    if not server_key:
        raise ValueError("webhook secrets need PERMITWATCH_SECRET_KEY")
    mac = hmac.new(server_key.encode(), b"webhook-secret|" + salt, hashlib.sha256).digest()
    return SECRET_PREFIX + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(secrets_live: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets_live])


def verify(value: str | None, body: bytes, secret: str, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """The receiver's check (the README's recipe does the same with the standard library)."""
    if not value:
        return False
    parts = [p.partition("=") for p in value.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    sigs = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(secret, int(stamps[0]), body)
    return any(hmac.compare_digest(expected, s) for s in sigs)
