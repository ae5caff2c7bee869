"""Workspace quota rows as the Kubernetes operator manages them, and a workspace's usage
against them. Runs as the worker role (RLS grants it the quota tables; usage comes from a
SECURITY DEFINER function that returns counts only)."""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from services.audit.trail import audit
from services.errors import Missing

COLUMNS = ("sms_per_day", "email_per_day", "sms_per_month", "email_per_month", "api_calls_per_month",
           "api_rate_per_minute", "exports_per_day")


class WorkspaceMissing(Missing):
    pass


def usage(conn: psycopg.Connection, workspace: uuid.UUID, at: datetime) -> dict[str, int]:
    row = conn.cursor(row_factory=dict_row).execute("SELECT * FROM workspace_usage(%s, %s)", (workspace, at)).fetchone()
    if not row["found"]:
        raise WorkspaceMissing(f"workspace {workspace} does not exist")
    return {k: v for k, v in row.items() if k != "found"}


def apply_quota(conn: psycopg.Connection, workspace: uuid.UUID, limits: dict[str, int | None], managed_by: str) -> bool:
    """Upsert the row; True when something changed. The caller commits."""
    cols = [c for c in COLUMNS if c in limits]
    ident = sql.SQL(", ").join(map(sql.Identifier, cols))
    changed = sql.SQL(" OR ").join(sql.SQL("workspace_quotas.{0} IS DISTINCT FROM EXCLUDED.{0}").format(sql.Identifier(c)) for c in cols)
    query = sql.SQL("""INSERT INTO workspace_quotas (workspace_id, managed_by, {cols}) VALUES (%s, %s, {vals})
                       ON CONFLICT (workspace_id) DO UPDATE SET managed_by = EXCLUDED.managed_by, updated_at = now(), {sets}
                       WHERE workspace_quotas.managed_by IS DISTINCT FROM EXCLUDED.managed_by OR {changed}
                       RETURNING workspace_id""").format(
        cols=ident, vals=sql.SQL(", ").join(sql.Placeholder() * len(cols)),
        sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in cols), changed=changed)
    try:
        changed = conn.execute(query, (workspace, managed_by, *(limits[c] for c in cols))).fetchone() is not None
    except psycopg.errors.ForeignKeyViolation:
        conn.rollback()
        raise WorkspaceMissing(f"workspace {workspace} does not exist") from None
    if changed:
        audit(conn.cursor(), workspace, None, "quota.applied", "workspace_quota", workspace, {"managed_by": managed_by, **limits})
    return changed


def release_quota(conn: psycopg.Connection, workspace: uuid.UUID, managed_by: str) -> bool:
    """Drop the row this resource wrote (the defaults apply again); a row someone else
    manages now is left alone."""
    released = conn.execute("DELETE FROM workspace_quotas WHERE workspace_id = %s AND managed_by = %s RETURNING workspace_id",
                            (workspace, managed_by)).fetchone() is not None
    if released:
        audit(conn.cursor(), workspace, None, "quota.released", "workspace_quota", workspace, {"managed_by": managed_by})
    return released
