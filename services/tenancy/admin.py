"""Workspaces, members and areas of interest created by an operator of the platform (CLI,
tests, demo) before the web app does it for users. Every write runs inside the
workspace's RLS context, as the application role."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace

import psycopg

from services.alerting import rule_store
from services.alerting.rules import RuleSpec
from services.areas import store as areas
from services.areas.shapes import Area, polygon_geometry
from services.areas.shapes import buffer_meters as buffer_meters_of
from services.db.engine import set_tenant
from services.operators import watchlists
from services.permits import saved
from services.tenancy import members

# A password hash no password matches: accounts made here sign in after a reset.
NO_PASSWORD = "!"


@dataclass(frozen=True)
class Created:
    workspace_id: uuid.UUID
    user_id: uuid.UUID


def create_workspace(conn: psycopg.Connection, name: str, owner_email: str, *, phone: str | None = None,
                     verified: bool = False, plan: str = "pro", sms_per_day: int = 50) -> Created:
    ws = uuid.uuid4()
    with conn.transaction():
        cur = conn.cursor()
        set_tenant(cur, ws, None)
        user = _ensure_user(cur, owner_email, phone, verified)
        set_tenant(cur, ws, user)
        cur.execute("INSERT INTO workspaces (id, name, plan) VALUES (%s, %s, %s)", (ws, name, plan))
        cur.execute("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'owner')", (ws, user))
        cur.execute("INSERT INTO workspace_quotas (workspace_id, sms_per_day) VALUES (%s, %s)", (ws, sms_per_day))
        cur.execute("INSERT INTO audit_log (workspace_id, actor_user_id, action, entity_type, entity_id) "
                    "VALUES (%s, %s, 'workspace.created', 'workspace', %s)", (ws, user, str(ws)))
    return Created(ws, user)


def _ensure_user(cur: psycopg.Cursor, email: str, phone: str | None, verified: bool) -> uuid.UUID:
    """The account with this email, made if missing (users are not workspace rows)."""
    row = cur.execute("SELECT id FROM users WHERE lower(email) = lower(%s)", (email,)).fetchone()
    if row is None:
        row = cur.execute(
            "INSERT INTO users (email, password_hash, phone, email_verified_at, phone_verified_at) VALUES "
            "(%s, %s, %s, CASE WHEN %s THEN now() END, CASE WHEN %s AND %s::text IS NOT NULL THEN now() END) RETURNING id",
            (email, NO_PASSWORD, phone, verified, verified, phone)).fetchone()
    return row[0]


def add_member(conn: psycopg.Connection, workspace_id: uuid.UUID, email: str, *, role: str = "member",
               phone: str | None = None, verified: bool = False) -> uuid.UUID:
    with conn.transaction():
        cur = conn.cursor()
        set_tenant(cur, workspace_id, None)
        user = _ensure_user(cur, email, phone, verified)
        cur.execute("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (workspace_id, user, role))
    return user


def create_aoi(conn: psycopg.Connection, workspace_id: uuid.UUID, name: str, geojson: dict, *,
               buffer_meters: int | None = None, created_by: uuid.UUID | None = None) -> uuid.UUID:
    """An area from a GeoJSON polygon, through the same checks and audit as the web app."""
    area = Area(polygon_geometry(geojson), {"kind": "polygon"}, buffer_meters_of(buffer_meters or 0, "m"), "m")
    with _tenant(conn, workspace_id, created_by) as cur:
        return areas.create(cur, workspace_id, created_by, name, area, source="cli")


def create_saved_search(conn: psycopg.Connection, workspace_id: uuid.UUID, name: str, filters: dict,
                        created_by: uuid.UUID | None = None) -> uuid.UUID:
    with _tenant(conn, workspace_id, created_by) as cur:
        return saved.save(cur, workspace_id, created_by, name, filters)


def create_watchlist(conn: psycopg.Connection, workspace_id: uuid.UUID, name: str, operator_ids: list[uuid.UUID], *,
                     created_by: uuid.UUID | None = None) -> uuid.UUID:
    with _tenant(conn, workspace_id, created_by) as cur:
        return watchlists.save(cur, workspace_id, created_by, name, operator_ids)


def create_watchlist_by_p5(conn: psycopg.Connection, workspace_id: uuid.UUID, name: str, p5_numbers: list[str]) -> uuid.UUID:
    with _tenant(conn, workspace_id, None) as cur:
        return watchlists.save(cur, workspace_id, None, name, watchlists.operator_ids_by_p5(cur, p5_numbers))


def create_rule(conn: psycopg.Connection, workspace_id: uuid.UUID, spec: RuleSpec, recipient_emails: list[str] | None = None) -> uuid.UUID:
    """An alert rule for the members named by e-mail (every member when none), validated and audited as in the web app."""
    with _tenant(conn, workspace_id, None) as cur:
        spec = replace(spec, recipients=members.member_ids(cur, recipient_emails))
        return rule_store.save(cur, workspace_id, spec, actor=None)


@contextmanager
def _tenant(conn: psycopg.Connection, workspace_id: uuid.UUID, user_id: uuid.UUID | None):
    with conn.transaction():
        cur = conn.cursor()
        set_tenant(cur, workspace_id, user_id)
        yield cur


def set_platform_admin(conn: psycopg.Connection, email: str, on: bool) -> bool:
    """Make (or stop making) an account a platform admin, who sees the product metrics.
    Owner role; False when no such account exists."""
    with conn.transaction():
        row = conn.execute("UPDATE users SET platform_admin = %s WHERE lower(email) = lower(%s) RETURNING id", (on, email)).fetchone()
        if row is None:
            return False
        conn.execute("INSERT INTO audit_log (workspace_id, actor_user_id, action, entity_type, entity_id, metadata) "
                      "VALUES (NULL, NULL, %s, 'user', %s, '{}')", ("user.platform_admin_granted" if on else "user.platform_admin_revoked", str(row[0])))
    return True
