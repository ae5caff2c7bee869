"""Accounts: sign-up (each with its own workspace), sign-in, e-mail verification and password
reset. Users are not workspace rows; the workspace made at sign-up is written inside its
own RLS context. Every function runs in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from services.audit.trail import audit
from services.db.engine import set_tenant
from services.entitlements import checks as entitled
from services.errors import InvalidInput
from services.tenancy.credentials import (
    CredentialError,
    check_password,
    hash_password,
    needs_rehash,
    new_token,
    normalize_email,
    token_hash,
    verify_password,
)

TOKEN_TTL = {"verify_email": timedelta(days=3), "reset_password": timedelta(hours=1)}


class TokenError(InvalidInput):
    """A link that is unknown, used or expired."""


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    display_name: str | None
    email_verified: bool


def signup(cur: psycopg.Cursor, email: str, password: str, *, workspace_name: str | None = None,
           display_name: str | None = None, sms_per_day: int = 50) -> tuple[User, uuid.UUID]:
    email = normalize_email(email)
    check_password(password, email)
    if cur.execute("SELECT 1 FROM users WHERE lower(email) = lower(%s)", (email,)).fetchone():
        raise CredentialError("email", "already has an account: sign in, or reset the password")
    user_id = cur.execute("INSERT INTO users (email, password_hash, display_name) VALUES (%s, %s, %s) RETURNING id",
                          (email, hash_password(password), (display_name or "").strip() or None)).fetchone()[0]
    ws = uuid.uuid4()
    set_tenant(cur, ws, user_id)
    name = (workspace_name or "").strip() or f"{email.split('@')[0]}'s workspace"
    cur.execute("INSERT INTO workspaces (id, name, plan) VALUES (%s, %s, 'trial')", (ws, name[:120]))
    trial_ends = entitled.start_trial(cur, ws, datetime.now(UTC))
    cur.execute("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'owner')", (ws, user_id))
    cur.execute("INSERT INTO workspace_quotas (workspace_id, sms_per_day) VALUES (%s, %s)", (ws, sms_per_day))
    audit(cur, ws, user_id, "user.signed_up", "user", user_id, {"email": email, "trial_ends": trial_ends.isoformat()})
    return User(user_id, email, display_name, False), ws


def authenticate(cur: psycopg.Cursor, email: str, password: str) -> User | None:
    try:
        email = normalize_email(email)
    except CredentialError:
        email = ""
    row = cur.execute("SELECT id, email, display_name, email_verified_at IS NOT NULL, password_hash FROM users "
                      "WHERE lower(email) = lower(%s) AND disabled_at IS NULL", (email,)).fetchone()
    if not verify_password(row[4] if row else None, password):
        return None
    if needs_rehash(row[4]):
        cur.execute("UPDATE users SET password_hash = %s WHERE id = %s", (hash_password(password), row[0]))
    return User(*row[:4])


def get_user(cur: psycopg.Cursor, user_id: uuid.UUID) -> User | None:
    row = cur.execute("SELECT id, email, display_name, email_verified_at IS NOT NULL FROM users WHERE id = %s AND disabled_at IS NULL",
                      (user_id,)).fetchone()
    return User(*row) if row else None


def issue_token(cur: psycopg.Cursor, user_id: uuid.UUID, purpose: str) -> str:
    token, digest = new_token()
    # A new link replaces the unused ones: only the latest e-mail works.
    cur.execute("UPDATE user_tokens SET used_at = now() WHERE user_id = %s AND purpose = %s AND used_at IS NULL", (user_id, purpose))
    cur.execute("INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at) VALUES (%s, %s, %s, now() + %s)",
                (digest, user_id, purpose, TOKEN_TTL[purpose]))
    return token


def _use_token(cur: psycopg.Cursor, token: str, purpose: str) -> uuid.UUID:
    row = cur.execute("UPDATE user_tokens SET used_at = now() WHERE token_hash = %s AND purpose = %s AND used_at IS NULL "
                      "AND expires_at > now() RETURNING user_id", (token_hash(token or ""), purpose)).fetchone()
    if row is None:
        raise TokenError("this link is unknown, already used or expired; ask for a new one")
    return row[0]


def verify_email(cur: psycopg.Cursor, token: str) -> uuid.UUID:
    user_id = _use_token(cur, token, "verify_email")
    cur.execute("UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = %s", (user_id,))
    return user_id


def start_password_reset(cur: psycopg.Cursor, email: str) -> tuple[User, str] | None:
    try:
        email = normalize_email(email)
    except CredentialError:
        return None
    row = cur.execute("SELECT id, email, display_name, email_verified_at IS NOT NULL FROM users "
                      "WHERE lower(email) = lower(%s) AND disabled_at IS NULL", (email,)).fetchone()
    if row is None:
        return None
    user = User(*row)
    return user, issue_token(cur, user.id, "reset_password")


def finish_password_reset(cur: psycopg.Cursor, token: str, password: str) -> uuid.UUID:
    row = cur.execute("SELECT u.email FROM user_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = %s",
                      (token_hash(token or ""),)).fetchone()
    check_password(password, row[0] if row else "x@x.x")
    user_id = _use_token(cur, token, "reset_password")
    # The link came by e-mail, so the address is proven; old sessions end.
    cur.execute("UPDATE users SET password_hash = %s, email_verified_at = coalesce(email_verified_at, now()) WHERE id = %s",
                (hash_password(password), user_id))
    cur.execute("UPDATE user_sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL", (user_id,))
    return user_id
