"""Browser sessions: a random cookie token, stored only as its hash, bound to the workspace
in use. Loading a session also reads the member's role under that workspace's RLS context;
a member removed from the workspace falls back to another membership, or to none."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from services.db.engine import set_tenant
from services.tenancy.credentials import new_token, token_hash


@dataclass(frozen=True)
class Session:
    token: str
    user_id: uuid.UUID
    email: str
    display_name: str | None
    email_verified: bool
    workspace_id: uuid.UUID | None
    role: str | None
    platform_admin: bool = False  # runs the service: sees the product metrics


def create(cur: psycopg.Cursor, user_id: uuid.UUID, workspace_id: uuid.UUID | None, *, days: int,
           ip: str | None, user_agent: str | None) -> str:
    token, digest = new_token()
    cur.execute("INSERT INTO user_sessions (token_hash, user_id, workspace_id, expires_at, ip, user_agent) "
                "VALUES (%s, %s, %s, now() + %s, %s, %s)",
                (digest, user_id, workspace_id, timedelta(days=days), ip, (user_agent or "")[:300]))
    if workspace_id is not None:
        set_tenant(cur, workspace_id, user_id, digest)
        cur.execute("INSERT INTO user_activity_days (user_id, workspace_id, day) VALUES (%s, %s, (now() AT TIME ZONE 'UTC')::date) "
                    "ON CONFLICT DO NOTHING", (user_id, workspace_id))
    return token


def load(cur: psycopg.Cursor, token: str | None) -> Session | None:
    """The live session for a cookie, with the RLS context of its workspace set."""
    if not token:
        return None
    row = cur.execute(
        "SELECT s.user_id, u.email, u.display_name, u.email_verified_at IS NOT NULL, s.workspace_id, "
        "s.last_seen_at < now() - interval '5 minutes', u.platform_admin FROM user_sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = %s AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL",
        (token_hash(token),)).fetchone()
    if row is None:
        return None
    user_id, email, name, verified, ws, touch, platform_admin = row
    set_tenant(cur, None, user_id)
    memberships = dict(cur.execute("SELECT workspace_id, role FROM workspace_members WHERE user_id = %s ORDER BY created_at",
                                   (user_id,)).fetchall())
    if ws not in memberships:
        ws = next(iter(memberships), None)
        cur.execute("UPDATE user_sessions SET workspace_id = %s WHERE token_hash = %s", (ws, token_hash(token)))
    elif touch:
        cur.execute("UPDATE user_sessions SET last_seen_at = now() WHERE token_hash = %s", (token_hash(token),))
    set_tenant(cur, ws, user_id, token_hash(token))
    if touch and ws is not None:  # at most every 5 minutes: the day this member was active
        cur.execute("INSERT INTO user_activity_days (user_id, workspace_id, day) VALUES (%s, %s, (now() AT TIME ZONE 'UTC')::date) "
                    "ON CONFLICT DO NOTHING", (user_id, ws))
    return Session(token, user_id, email, name, verified, ws, memberships.get(ws), platform_admin)


def switch_workspace(cur: psycopg.Cursor, session: Session, workspace_id: uuid.UUID) -> bool:
    # Own memberships are readable in any context (policy member_self).
    if cur.execute("SELECT 1 FROM workspace_members WHERE user_id = %s AND workspace_id = %s",
                   (session.user_id, workspace_id)).fetchone() is None:
        return False
    cur.execute("UPDATE user_sessions SET workspace_id = %s WHERE token_hash = %s", (workspace_id, token_hash(session.token)))
    return True


def workspaces_of(cur: psycopg.Cursor, user_id: uuid.UUID) -> list[dict]:
    rows = cur.execute("SELECT w.id, w.name, w.plan, m.role FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id "
                       "WHERE m.user_id = %s ORDER BY m.created_at", (user_id,)).fetchall()
    return [{"id": str(r[0]), "name": r[1], "plan": r[2], "role": r[3]} for r in rows]


def revoke(cur: psycopg.Cursor, token: str) -> None:
    cur.execute("UPDATE user_sessions SET revoked_at = now() WHERE token_hash = %s", (token_hash(token),))
