"""Operator watchlists and groups of the workspace in context (RLS), audited; plus the operator
lookup the watchlist screen searches with (operators are public data)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg

from services.audit.trail import audit, delete_audited
from services.errors import FieldError, InvalidInput, Missing


class WatchlistError(InvalidInput):
    pass


def search_operators(cur: psycopg.Cursor, q: str, limit: int = 20) -> list[dict]:
    q = (q or "").strip()
    if len(q) < 2:
        return []
    rows = cur.execute(
        "SELECT o.id, o.canonical_name, o.p5_number, (SELECT count(*) FROM permits_current c WHERE c.operator_id = o.id) "
        "FROM operators o WHERE o.merged_into IS NULL AND (o.canonical_name ILIKE %(like)s OR o.p5_number = %(q)s "
        "OR o.id IN (SELECT a.operator_id FROM operator_aliases a WHERE a.alias_name ILIKE %(like)s)) "
        "ORDER BY (o.canonical_name ILIKE %(prefix)s) DESC, similarity(o.canonical_name, %(q)s) DESC LIMIT %(limit)s",
        {"q": q, "like": f"%{q}%", "prefix": f"{q}%", "limit": limit}).fetchall()
    return [{"id": str(r[0]), "name": r[1], "p5_number": r[2], "permits": r[3]} for r in rows]


def with_group_members(cur: psycopg.Cursor, filters: dict) -> dict:
    """Validated filters with `operator_groups` replaced by their operators (folded into
    `operator_ids`: either matches). Groups are read under RLS, so another workspace's group
    is unknown here; FieldError names it."""
    groups = filters.get("operator_groups")
    if not groups:
        return filters
    rows = cur.execute("SELECT g.id::text, m.operator_id::text FROM operator_groups g "
                       "LEFT JOIN operator_group_members m ON m.group_id = g.id WHERE g.id = ANY(%s::uuid[])", (groups,)).fetchall()
    unknown = sorted(set(groups) - {r[0] for r in rows})
    if unknown:
        raise FieldError("operator_groups", f"no operator group {unknown[0]} in this workspace")
    out = {k: v for k, v in filters.items() if k != "operator_groups"}
    out["operator_ids"] = sorted(set(filters.get("operator_ids", [])) | {r[1] for r in rows if r[1]})
    return out


def operator_ids_by_p5(cur: psycopg.Cursor, p5_numbers: list[str]) -> list[uuid.UUID]:
    """The surviving operator of each P-5 number; WatchlistError names the unknown ones."""
    rows = cur.execute("SELECT p5_number, coalesce(merged_into, id) FROM operators WHERE p5_number = ANY(%s)", (list(p5_numbers),)).fetchall()
    found = dict(rows)
    unknown = [p for p in p5_numbers if p not in found]
    if unknown:
        raise WatchlistError(f"unknown P-5 number(s): {', '.join(unknown)}")
    return list(dict.fromkeys(found[p] for p in p5_numbers))


@dataclass(frozen=True)
class OperatorSet:
    """A named set of operators a workspace keeps: a watchlist (alerts follow it) or a group
    (one competitor under several names). Both are saved, listed and audited the same way."""

    table: str
    items: str
    key: str  # the items' column naming the set
    noun: str


WATCHLIST = OperatorSet("operator_watchlists", "operator_watchlist_items", "watchlist_id", "watchlist")
GROUP = OperatorSet("operator_groups", "operator_group_members", "group_id", "group")


def list_sets(cur: psycopg.Cursor, kind: OperatorSet) -> list[dict]:
    groups = ("coalesce((SELECT json_agg(json_build_object('id', g.id, 'name', g.name) ORDER BY g.name) FROM operator_watchlist_groups wg "
              "JOIN operator_groups g ON g.id = wg.group_id WHERE wg.watchlist_id = w.id), '[]')" if kind is WATCHLIST else "'[]'::json")
    rows = cur.execute(
        "SELECT w.id, w.name, w.created_at, coalesce(json_agg(json_build_object('id', o.id, 'name', o.canonical_name, "
        f"'p5_number', o.p5_number) ORDER BY o.canonical_name) FILTER (WHERE o.id IS NOT NULL), '[]'), {groups} "
        f"FROM {kind.table} w LEFT JOIN {kind.items} i ON i.{kind.key} = w.id "
        "LEFT JOIN operators o ON o.id = i.operator_id GROUP BY w.id ORDER BY w.created_at DESC").fetchall()
    return [{"id": str(r[0]), "name": r[1], "created_at": r[2].isoformat(), "operators": r[3], **({"groups": r[4]} if kind is WATCHLIST else {})}
            for r in rows]


def list_watchlists(cur: psycopg.Cursor) -> list[dict]:
    return list_sets(cur, WATCHLIST)


def save(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, name: str, operator_ids: list[uuid.UUID],
         watchlist_id: uuid.UUID | None = None, kind: OperatorSet = WATCHLIST, group_ids: list[uuid.UUID] = ()) -> uuid.UUID:
    """Create or replace a set. A watchlist may also hold groups (it then follows whoever is
    in them); a group holds operators only."""
    name = (name or "").strip()
    limit = 80 if kind is GROUP else 120
    if not name or len(name) > limit:
        raise WatchlistError(f"name must be 1 to {limit} characters")
    if kind is GROUP and group_ids:
        raise WatchlistError("a group holds operators, not other groups")
    if not operator_ids and not group_ids:
        raise WatchlistError(f"a {kind.noun} needs at least one operator" + (" or group" if kind is WATCHLIST else ""))
    known = {r[0] for r in cur.execute("SELECT id FROM operators WHERE id = ANY(%s)", (list(operator_ids),)).fetchall()}
    unknown = [str(o) for o in operator_ids if o not in known]
    if unknown:
        raise WatchlistError(f"unknown operator id(s): {', '.join(unknown)}")
    groups = {r[0] for r in cur.execute("SELECT id FROM operator_groups WHERE id = ANY(%s)", (list(group_ids),)).fetchall()}
    unknown = [str(g) for g in group_ids if g not in groups]
    if unknown:
        raise WatchlistError(f"no operator group {unknown[0]} in this workspace")
    # A group is what comparisons show in place of its operators: its name must say which one.
    if kind is GROUP and cur.execute(f"SELECT 1 FROM {kind.table} WHERE name = %s AND id IS DISTINCT FROM %s",
                                     (name, watchlist_id)).fetchone():
        raise WatchlistError(f"this workspace already has a {kind.noun} named {name!r}")
    if watchlist_id is None:
        watchlist_id = cur.execute(f"INSERT INTO {kind.table} (workspace_id, name) VALUES (%s, %s) RETURNING id",
                                   (workspace_id, name)).fetchone()[0]
        action = f"{kind.noun}.created"
    else:
        cur.execute(f"UPDATE {kind.table} SET name = %s WHERE id = %s", (name, watchlist_id))
        if cur.rowcount != 1:
            raise Missing(f"{kind.noun} {watchlist_id} does not exist in this workspace")
        cur.execute(f"DELETE FROM {kind.items} WHERE {kind.key} = %s", (watchlist_id,))
        cur.execute("DELETE FROM operator_watchlist_groups WHERE watchlist_id = %s", (watchlist_id,))
        action = f"{kind.noun}.updated"
    cur.executemany(f"INSERT INTO {kind.items} ({kind.key}, operator_id, workspace_id) VALUES (%s, %s, %s)",
                    [(watchlist_id, op, workspace_id) for op in sorted(known)])
    cur.executemany("INSERT INTO operator_watchlist_groups (watchlist_id, group_id, workspace_id) VALUES (%s, %s, %s)",
                    [(watchlist_id, g, workspace_id) for g in sorted(groups)])
    audit(cur, workspace_id, actor, action, kind.noun, watchlist_id,
          {"name": name, "operators": sorted(map(str, known)), **({"groups": sorted(map(str, groups))} if groups else {})})
    return watchlist_id


def delete(cur: psycopg.Cursor, workspace_id: uuid.UUID, actor: uuid.UUID | None, watchlist_id: uuid.UUID,
           kind: OperatorSet = WATCHLIST) -> None:
    if kind is GROUP:
        # Deleting a group in use would quietly narrow an alert; say where it is used instead.
        users = [f"watchlist {r[0]!r}" for r in cur.execute(
            "SELECT w.name FROM operator_watchlist_groups wg JOIN operator_watchlists w ON w.id = wg.watchlist_id "
            "WHERE wg.group_id = %s ORDER BY 1", (watchlist_id,)).fetchall()]
        users += [f"saved search {r[0]!r}" for r in cur.execute(
            "SELECT name FROM saved_searches WHERE filters->'operator_groups' ? %s ORDER BY 1", (str(watchlist_id),)).fetchall()]
        if users:
            raise WatchlistError(f"this group is used by {', '.join(users)}; take it out of those first")
    delete_audited(cur, kind.table, kind.noun, watchlist_id, workspace_id, actor, Missing)
