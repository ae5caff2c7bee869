"""Workspaces, members and areas of interest created by an operator of the platform (CLI,
tests, demo) before the web app does it for users. Every write runs inside the
workspace's RLS context, as the application role."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import psycopg

from services.alerting.filters import validate_filters
from services.db.engine import set_tenant

# A password hash no password matches: accounts made here sign in after a reset.
NO_PASSWORD = "!"


@dataclass(frozen=True)
class Created:
    workspace_id: uuid.UUID
    user_id: uuid.UUID


def create_workspace(conn: psycopg.Connection, name: str, owner_email: str, *, phone: str | None = None,
                     verified: bool = False, plan: str = "basic", sms_per_day: int = 50) -> Created:
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
    with conn.transaction():
        cur = conn.cursor()
        set_tenant(cur, workspace_id, created_by)
        return cur.execute(
            "INSERT INTO aois (workspace_id, name, geom, buffer_meters, created_by) "
            "VALUES (%s, %s, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)), %s, %s) RETURNING id",
            (workspace_id, name, json.dumps(geojson), buffer_meters, created_by)).fetchone()[0]


def create_saved_search(conn: psycopg.Connection, workspace_id: uuid.UUID, name: str, filters: dict,
                        created_by: uuid.UUID | None = None) -> uuid.UUID:
    clean = validate_filters(filters)
    with conn.transaction():
        cur = conn.cursor()
        set_tenant(cur, workspace_id, created_by)
        return cur.execute("INSERT INTO saved_searches (workspace_id, name, filters, created_by) VALUES (%s, %s, %s, %s) RETURNING id",
                           (workspace_id, name, json.dumps(clean), created_by)).fetchone()[0]


def create_watchlist(conn: psycopg.Connection, workspace_id: uuid.UUID, name: str, operator_ids: list[uuid.UUID]) -> uuid.UUID:
    with conn.transaction():
        cur = conn.cursor()
        set_tenant(cur, workspace_id, None)
        wl = cur.execute("INSERT INTO operator_watchlists (workspace_id, name) VALUES (%s, %s) RETURNING id",
                         (workspace_id, name)).fetchone()[0]
        cur.executemany("INSERT INTO operator_watchlist_items (watchlist_id, operator_id, workspace_id) VALUES (%s, %s, %s)",
                        [(wl, op, workspace_id) for op in operator_ids])
        return wl
