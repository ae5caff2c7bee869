"""Saved searches of the workspace in context (RLS): a name and filters in the search
vocabulary, so a search on screen can be saved, alerted on, and opened again."""

from __future__ import annotations

import json
import uuid

import psycopg

from services.alerting.filters import describe, validate_filters
from services.audit.trail import audit, delete_audited
from services.errors import FieldError, Missing
from services.operators.watchlists import with_group_members


def list_saved(cur: psycopg.Cursor) -> list[dict]:
    rows = cur.execute("SELECT id, name, filters, created_at FROM saved_searches ORDER BY created_at DESC").fetchall()
    wanted = sorted({o for r in rows for o in r[2].get("operator_ids", [])})
    groups = sorted({g for r in rows for g in r[2].get("operator_groups", [])})
    names = dict(cur.execute("SELECT id::text, canonical_name FROM operators WHERE id::text = ANY(%s)", (wanted,)).fetchall()) if wanted else {}
    if groups:
        names |= dict(cur.execute("SELECT id::text, name FROM operator_groups WHERE id::text = ANY(%s)", (groups,)).fetchall())
    return [{"id": r[0], "name": r[1], "filters": r[2], "summary": describe(r[2], names), "created_at": r[3]} for r in rows]


def save(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, name: str, filters: dict,
         search_id: uuid.UUID | None = None) -> uuid.UUID:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise FieldError("name", "must be 1 to 120 characters")
    clean = validate_filters(filters)
    with_group_members(cur, clean)  # every group named must be this workspace's
    if search_id is None:
        search_id = cur.execute("INSERT INTO saved_searches (workspace_id, name, filters, created_by) VALUES (%s, %s, %s, %s) RETURNING id",
                                (workspace_id, name, json.dumps(clean), actor)).fetchone()[0]
        action = "saved_search.created"
    else:
        cur.execute("UPDATE saved_searches SET name = %s, filters = %s WHERE id = %s", (name, json.dumps(clean), search_id))
        if cur.rowcount != 1:
            raise Missing(f"saved search {search_id} does not exist in this workspace")
        action = "saved_search.updated"
    audit(cur, workspace_id, actor, action, "saved_search", search_id, {"name": name, "filters": clean})
    return search_id


def delete(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, search_id: uuid.UUID) -> None:
    delete_audited(cur, "saved_searches", "saved_search", search_id, workspace_id, actor, Missing)
