"""The audit trail: every state-changing action worth auditing goes to audit_log, in the
caller's transaction and workspace context (RLS)."""

from __future__ import annotations

import json

import psycopg


def audit(cur: psycopg.Cursor, workspace_id, actor, action: str, entity_type: str, entity_id, metadata: dict) -> None:
    cur.execute("INSERT INTO audit_log (workspace_id, actor_user_id, action, entity_type, entity_id, metadata) "
                "VALUES (%s, %s, %s, %s, %s, %s)", (workspace_id, actor, action, entity_type, str(entity_id), json.dumps(metadata)))


def delete_audited(cur: psycopg.Cursor, table: str, entity_type: str, row_id, workspace_id, actor, missing: type[Exception]) -> None:
    """Delete one workspace row by id (RLS hides other workspaces' rows, so those are
    'missing' too) and record it."""
    cur.execute(f"DELETE FROM {table} WHERE id = %s", (row_id,))
    if cur.rowcount != 1:
        raise missing(f"{entity_type.replace('_', ' ')} {row_id} does not exist in this workspace")
    audit(cur, workspace_id, actor, f"{entity_type}.deleted", entity_type, row_id, {})
