"""Members and invitations of the workspace in context (RLS). Invitations carry a secret
link; accepting one is the only way in from outside, and it checks the address invited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import psycopg

from services.audit.trail import audit
from services.db.engine import set_tenant
from services.entitlements import checks as entitled
from services.errors import InvalidInput, Missing
from services.tenancy.credentials import new_token, normalize_email, token_hash
from services.tenancy.roles import MANAGE_MEMBERS, Forbidden, check_role_change, require

INVITATION_TTL = timedelta(days=7)


class NotFound(Missing):
    pass


@dataclass(frozen=True)
class Actor:
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: str | None


def workspace_name(cur: psycopg.Cursor) -> str:
    return cur.execute("SELECT name FROM workspaces WHERE id = app_workspace_id()").fetchone()[0]


def list_members(cur: psycopg.Cursor) -> list[dict]:
    rows = cur.execute("SELECT u.id, u.email, u.display_name, m.role, m.created_at, u.email_verified_at IS NOT NULL, "
                       "u.phone_verified_at IS NOT NULL AND u.sms_opted_out_at IS NULL AND u.sms_paused_at IS NULL "
                       "FROM workspace_members m JOIN users u ON u.id = m.user_id "
                       "WHERE m.workspace_id = app_workspace_id() ORDER BY m.created_at").fetchall()
    return [{"user_id": r[0], "email": r[1], "display_name": r[2], "role": r[3], "joined_at": r[4], "email_verified": r[5],
             "phone_verified": r[6]} for r in rows]


def member_ids(cur: psycopg.Cursor, emails: list[str] | None = None) -> list[uuid.UUID]:
    """Members of the workspace in context by e-mail (all members when none are named);
    NotFound names the addresses that are not members."""
    rows = dict(cur.execute("SELECT lower(u.email), u.id FROM workspace_members m JOIN users u ON u.id = m.user_id "
                            "WHERE m.workspace_id = app_workspace_id() ORDER BY m.created_at").fetchall())
    if not emails:
        return list(rows.values())
    missing = [e for e in emails if e.strip().lower() not in rows]
    if missing:
        raise NotFound(f"not a member of this workspace: {', '.join(missing)}")
    return [rows[e.strip().lower()] for e in emails]


def invite(cur: psycopg.Cursor, actor: Actor, email: str, role: str) -> tuple[uuid.UUID, str]:
    require(actor.role, MANAGE_MEMBERS, "inviting members")
    if role not in ("admin", "member"):
        raise InvalidInput("role must be admin or member (make owners from members)")
    email = normalize_email(email)
    if cur.execute("SELECT 1 FROM workspace_members m JOIN users u ON u.id = m.user_id "
                   "WHERE m.workspace_id = app_workspace_id() AND lower(u.email) = lower(%s)", (email,)).fetchone():
        raise InvalidInput(f"{email} is already a member")
    entitled.check_room(cur, actor.workspace_id, "seats")
    token, digest = new_token()
    cur.execute("UPDATE workspace_invitations SET revoked_at = now() WHERE lower(email) = lower(%s) "
                "AND accepted_at IS NULL AND revoked_at IS NULL", (email,))
    inv = cur.execute("INSERT INTO workspace_invitations (workspace_id, email, role, token_hash, invited_by, expires_at) "
                      "VALUES (%s, %s, %s, %s, %s, now() + %s) RETURNING id",
                      (actor.workspace_id, email, role, digest, actor.user_id, INVITATION_TTL)).fetchone()[0]
    audit(cur, actor.workspace_id, actor.user_id, "invitation.created", "invitation", inv, {"email": email, "role": role})
    return inv, token


def list_invitations(cur: psycopg.Cursor) -> list[dict]:
    rows = cur.execute("SELECT id, email, role, created_at, expires_at FROM workspace_invitations "
                       "WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC").fetchall()
    return [{"id": str(r[0]), "email": r[1], "role": r[2], "created_at": r[3].isoformat(), "expires_at": r[4].isoformat()} for r in rows]


def revoke_invitation(cur: psycopg.Cursor, actor: Actor, invitation_id: uuid.UUID) -> None:
    require(actor.role, MANAGE_MEMBERS, "revoking invitations")
    cur.execute("UPDATE workspace_invitations SET revoked_at = now() WHERE id = %s AND accepted_at IS NULL", (invitation_id,))
    if cur.rowcount != 1:
        raise NotFound(f"invitation {invitation_id} is not open in this workspace")
    audit(cur, actor.workspace_id, actor.user_id, "invitation.revoked", "invitation", invitation_id, {})


def preview_invitation(cur: psycopg.Cursor, token: str) -> dict:
    row = cur.execute("SELECT id, workspace_id, workspace_name, email, role FROM invitation_by_token(%s) "
                      "WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()", (token_hash(token or ""),)).fetchone()
    if row is None:
        raise NotFound("this invitation is unknown, used, revoked or expired; ask for a new one")
    return {"id": row[0], "workspace_id": row[1], "workspace_name": row[2], "email": row[3], "role": row[4]}


def accept_invitation(cur: psycopg.Cursor, token: str, user_id: uuid.UUID, user_email: str) -> uuid.UUID:
    inv = preview_invitation(cur, token)
    if inv["email"].lower() != user_email.lower():
        raise Forbidden(f"this invitation is for {inv['email']}; sign in with that address to accept it")
    set_tenant(cur, inv["workspace_id"], user_id)
    cur.execute("UPDATE workspace_invitations SET accepted_at = now() WHERE id = %s AND accepted_at IS NULL", (inv["id"],))
    cur.execute("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (inv["workspace_id"], user_id, inv["role"]))
    # The invitation proves the address, as a verification link would.
    cur.execute("UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = %s", (user_id,))
    audit(cur, inv["workspace_id"], user_id, "invitation.accepted", "invitation", inv["id"], {"role": inv["role"]})
    return inv["workspace_id"]


def _member_roles(cur: psycopg.Cursor, user_id: uuid.UUID) -> tuple[str, int]:
    row = cur.execute("SELECT m.role, (SELECT count(*) FROM workspace_members o WHERE o.workspace_id = m.workspace_id AND o.role = 'owner') "
                      "FROM workspace_members m WHERE m.workspace_id = app_workspace_id() AND m.user_id = %s", (user_id,)).fetchone()
    if row is None:
        raise NotFound(f"user {user_id} is not a member of this workspace")
    return row


def set_role(cur: psycopg.Cursor, actor: Actor, user_id: uuid.UUID, role: str) -> None:
    current, owners = _member_roles(cur, user_id)
    check_role_change(actor.role, current, role, owners)
    cur.execute("UPDATE workspace_members SET role = %s WHERE workspace_id = app_workspace_id() AND user_id = %s", (role, user_id))
    audit(cur, actor.workspace_id, actor.user_id, "member.role_changed", "user", user_id, {"from": current, "to": role})


def remove_member(cur: psycopg.Cursor, actor: Actor, user_id: uuid.UUID) -> None:
    current, owners = _member_roles(cur, user_id)
    if user_id != actor.user_id:
        check_role_change(actor.role, current, None, owners)
    elif current == "owner" and owners <= 1:
        raise Forbidden("a workspace must keep at least one owner")
    cur.execute("DELETE FROM workspace_members WHERE workspace_id = app_workspace_id() AND user_id = %s", (user_id,))
    audit(cur, actor.workspace_id, actor.user_id, "member.removed", "user", user_id, {"role": current})
