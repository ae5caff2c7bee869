"""PURE: the tile pass, a signed cookie that lets a signed-in browser fetch permit tiles for
an hour without a session lookup or a database transaction per tile (a map view asks for
dozens at once). Permit tiles show public RRC records and nothing of the workspace; a tile
that needs the workspace (operator groups) takes the session as before. Signing out deletes
the pass; a session revoked elsewhere keeps its pass until it expires, an hour at most."""

from __future__ import annotations

import base64
import hashlib
import hmac

COOKIE = "pw_tiles"
PATH = "/tiles/"
SECONDS = 3600


def _mac(secret: str, body: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), b"tile-pass|" + body.encode(), hashlib.sha256).digest()[:24]).decode()


def make(secret: str, user_id: str, now: float) -> str:
    body = f"{user_id}.{int(now) + SECONDS}"
    return f"{body}.{_mac(secret, body)}"


def check(secret: str, token: str | None, now: float) -> str | None:
    """The user id of a valid, unexpired pass; None otherwise."""
    if not token or token.count(".") != 2 or len(token) > 200:
        return None
    user_id, expires, mac = token.split(".")
    if not expires.isdigit() or int(expires) < now:
        return None
    return user_id if hmac.compare_digest(mac, _mac(secret, f"{user_id}.{expires}")) else None
