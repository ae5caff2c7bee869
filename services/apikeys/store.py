"""API keys of a workspace (RLS): made by owners and admins, shown once, revoked at once,
rolled with an overlap, every action audited; and the lookup a request's bearer key goes
through (its digest, before any workspace is known, by the `api_key_for` function)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.rows import dict_row

from services.apikeys import limits, tokens
from services.audit.trail import audit
from services.entitlements import checks as entitled
from services.entitlements.decide import Billing
from services.entitlements.plans import API
from services.errors import DomainError, FieldError, Missing

MOST_ROLL_HOURS = 24 * 7
_SELECT = """SELECT k.id, k.name, k.key_prefix AS prefix, k.scopes, k.expires_at, k.allowed_ips::text[] AS allowed_ips, k.revoked_at,
                    k.last_used_at, host(k.last_used_ip) AS last_used_ip, k.created_at, k.replaced_by,
                    coalesce(u.display_name, u.email) AS created_by
             FROM api_keys k LEFT JOIN users u ON u.id = k.created_by"""


class KeyRefused(DomainError):
    """401: no such key, or revoked, or expired."""


class KeyNotHere(DomainError):
    """403: the key is good, but not from this address."""


@dataclass(frozen=True)
class KeyPrincipal:
    key_id: uuid.UUID
    workspace_id: uuid.UUID
    scopes: frozenset[str]
    rate_per_minute: int | None  # the workspace's quota row; None: the default
    billing: Billing  # the workspace's plan and standing (its monthly calls come from there)
    made_by: uuid.UUID | None = None  # the member the key acts for (None: that account is gone)


def create(cur: psycopg.Cursor, workspace_id: uuid.UUID, user_id: uuid.UUID, name: str, scopes: list[str],
           expires_at: datetime | None, allowed_ips: list[str]) -> tuple[uuid.UUID, str]:
    """(the key's id, the key itself: shown this once)."""
    entitled.check_feature(cur, workspace_id, API)
    scopes, nets = tokens.checked_scopes(scopes), tokens.checked_networks(allowed_ips)
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise FieldError("expires_at", "the expiry must be in the future")
    key, prefix, digest = tokens.make()
    kid = cur.execute("""INSERT INTO api_keys (workspace_id, name, key_prefix, key_hash, scopes, expires_at, allowed_ips, created_by)
                         VALUES (%s, %s, %s, %s, %s, %s, %s::cidr[], %s) RETURNING id""",
                      (workspace_id, name, prefix, digest, scopes, expires_at, nets or None, user_id)).fetchone()[0]
    audit(cur, workspace_id, user_id, "api_key.created", "api_key", kid,
          {"name": name, "prefix": prefix, "scopes": scopes, "expires_at": expires_at.isoformat() if expires_at else None, "allowed_ips": nets})
    return kid, key


def list_keys(cur: psycopg.Cursor) -> list[dict]:
    return cur.connection.cursor(row_factory=dict_row).execute(_SELECT + " ORDER BY k.revoked_at NULLS FIRST, k.created_at DESC").fetchall()


def get(cur: psycopg.Cursor, key_id: uuid.UUID) -> dict:
    row = cur.connection.cursor(row_factory=dict_row).execute(_SELECT + " WHERE k.id = %s", (key_id,)).fetchone()
    if row is None:
        raise Missing(f"API key {key_id} does not exist in this workspace")
    return row


def revoke(cur: psycopg.Cursor, workspace_id: uuid.UUID, user_id: uuid.UUID, key_id: uuid.UUID) -> None:
    key = get(cur, key_id)
    if key["revoked_at"] is None:
        cur.execute("UPDATE api_keys SET revoked_at = now() WHERE id = %s", (key_id,))
        audit(cur, workspace_id, user_id, "api_key.revoked", "api_key", key_id, {"name": key["name"], "prefix": key["prefix"]})


def roll(cur: psycopg.Cursor, workspace_id: uuid.UUID, user_id: uuid.UUID, key_id: uuid.UUID, overlap_hours: int) -> tuple[uuid.UUID, str]:
    """A new key with the same name, scopes and limits; the old one keeps working for
    `overlap_hours` (0: stops now), so a deployment can switch without an outage."""
    if not 0 <= overlap_hours <= MOST_ROLL_HOURS:
        raise FieldError("overlap_hours", f"between 0 and {MOST_ROLL_HOURS}")
    old = get(cur, key_id)
    if old["revoked_at"] is not None or old["replaced_by"] is not None:
        raise FieldError("key", "this key is revoked or already rolled; roll its replacement instead")
    new_id, key = create(cur, workspace_id, user_id, old["name"], old["scopes"], old["expires_at"], old["allowed_ips"] or [])
    ends = datetime.now(UTC) + timedelta(hours=overlap_hours)
    cur.execute("UPDATE api_keys SET replaced_by = %s, expires_at = least(coalesce(expires_at, %s), %s) WHERE id = %s",
                (new_id, ends, ends, key_id))
    audit(cur, workspace_id, user_id, "api_key.rolled", "api_key", key_id, {"replaced_by": str(new_id), "old_works_until": ends.isoformat()})
    return new_id, key


def authenticate(cur: psycopg.Cursor, key: str, ip: str) -> KeyPrincipal:
    """The workspace and scopes of a live key, its workspace set as the transaction's RLS
    context, or KeyRefused / KeyNotHere; last use is written at most once a minute per key."""
    if not tokens.well_formed(key):
        raise KeyRefused("this API key is not valid (check it was copied whole)")
    # The key's workspace becomes the transaction's RLS context in the same round trip (a
    # refused key's transaction is rolled back with it).
    row = cur.execute("""SELECT k.*, set_config('app.workspace_id', k.workspace_id::text, true), set_config('app.user_id', '', true)
                         FROM api_key_for(%s) k""", (tokens.digest(key),)).fetchone()
    if row is None:
        raise KeyRefused("this API key is not valid (check it was copied whole)")
    key_id, workspace_id, scopes, nets, revoked, expires, last_used, per_minute, per_month, made_by = row[:10]
    plan, status, trial_end, past_due, period_end, cancels, addons, sms_month, email_month, exports_day = row[10:20]
    billing = Billing(plan, status, trial_end, past_due, period_end, bool(cancels), dict(addons or {}),
                      {"sms_per_month": sms_month, "email_per_month": email_month, "exports_per_day": exports_day,
                       "api_calls_per_month": per_month})
    now = datetime.now(UTC)
    if revoked is not None:
        raise KeyRefused("this API key was revoked; make a new one on the API keys screen")
    if expires is not None and expires <= now:
        raise KeyRefused("this API key has expired; make a new one on the API keys screen")
    if not tokens.ip_allowed(ip, nets):
        raise KeyNotHere(f"this API key is not allowed from {ip}; its allow-list is on the API keys screen")
    if last_used is None or now - last_used > timedelta(minutes=1):
        cur.execute("UPDATE api_keys SET last_used_at = now(), last_used_ip = %s WHERE id = %s", (tokens.as_ip(ip), key_id))
    return KeyPrincipal(key_id, workspace_id, frozenset(scopes), per_minute, billing, made_by)


def policy_of(cur: psycopg.Cursor, workspace_id: uuid.UUID, default_per_minute: int) -> limits.Policy:
    """The workspace's rate (its quota row, or the default) and monthly calls (its plan)."""
    row = cur.execute("SELECT api_rate_per_minute FROM workspace_quotas WHERE workspace_id = %s", (workspace_id,)).fetchone()
    per_month = entitled.now_for(cur, workspace_id).limits.api_calls_per_month
    return limits.policy_for(row[0] if row else None, per_month, default_per_minute=default_per_minute, default_per_month=None)
