"""Operator identity in the database: RRC operators keyed on the P-5 number, every name
variant recorded as an alias under its normalized key, lookups by name that never
guess, and the audited manual merge."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import psycopg

from services.errors import InvalidInput
from services.operators.names import display_name, may_be_truncated, name_key, truncated_key
from services.operators.similar import suggest_pairs
from services.operators.stats import refresh_operators


@dataclass(frozen=True)
class Resolution:
    operator_id: uuid.UUID | None
    how: str  # p5 | alias | prefix | created | ambiguous
    candidates: tuple[uuid.UUID, ...] = ()


def resolve_rrc_operators(cur: psycopg.Cursor, seen: dict[str, str]) -> dict[str, uuid.UUID]:
    """{P-5 number: name as filed} -> {P-5 number: operator id}. Creates unknown operators
    and records each new spelling as an alias. Merged operators resolve to their target."""
    if not seen:
        return {}
    numbers = sorted(seen)
    cur.executemany(
        "INSERT INTO operators (p5_number, canonical_name) VALUES (%s, %s) ON CONFLICT (p5_number) DO NOTHING",
        [(n, display_name(seen[n]) or f"OPERATOR {n}") for n in numbers],
    )
    cur.execute(
        "SELECT o.p5_number, coalesce(o.merged_into, o.id) FROM operators o WHERE o.p5_number = ANY(%s)", (numbers,)
    )
    ids = {n: oid for n, oid in cur.fetchall()}
    aliases = [(ids[n], seen[n], name_key(seen[n]), truncated_key(seen[n]) if may_be_truncated(seen[n]) else None)
               for n in numbers if seen[n]]
    cur.executemany(
        "INSERT INTO operator_aliases (operator_id, alias_name, name_key, prefix_key, source) "
        "VALUES (%s, %s, %s, %s, 'rrc') ON CONFLICT ((lower(alias_name))) DO NOTHING",
        aliases,
    )
    return ids


def resolve_name(cur: psycopg.Cursor, name: str, *, create: bool = False, source: str = "manual") -> Resolution:
    """Find the operator for a name from any source. Exact key first, then RRC names that
    may have been cut at 32 characters. Two candidates -> ambiguous, nothing guessed; none
    -> a new operator when `create` is set."""
    key = name_key(name)
    if not key:
        raise InvalidInput("an operator name is required")
    cur.execute("SELECT DISTINCT coalesce(o.merged_into, o.id) FROM operator_aliases a JOIN operators o ON o.id = a.operator_id "
                "WHERE a.name_key = %s", (key,))
    found = [r[0] for r in cur.fetchall()]
    how = "alias"
    if not found:
        # An alias cut short matches when its key is a whole-word prefix of this key.
        cur.execute("SELECT DISTINCT coalesce(o.merged_into, o.id) FROM operator_aliases a JOIN operators o ON o.id = a.operator_id "
                    "WHERE a.prefix_key IS NOT NULL AND (%s = a.prefix_key OR %s LIKE a.prefix_key || ' %%')", (key, key))
        found, how = [r[0] for r in cur.fetchall()], "prefix"
    if len(found) == 1:
        return Resolution(found[0], how, tuple(found))
    if len(found) > 1:
        return Resolution(None, "ambiguous", tuple(found))
    if not create:
        return Resolution(None, "unknown")
    cur.execute("INSERT INTO operators (canonical_name) VALUES (%s) RETURNING id", (display_name(name),))
    new_id = cur.fetchone()[0]
    cur.execute("INSERT INTO operator_aliases (operator_id, alias_name, name_key, source) VALUES (%s, %s, %s, %s)",
                (new_id, name, key, source))
    return Resolution(new_id, "created", (new_id,))


class MergeError(InvalidInput):
    pass


# (table, the set it belongs to, the merge record's key for the sets that gained `keep`)
_SET_ITEMS = (("operator_watchlist_items", "watchlist_id", "keep_added_to_watchlists"),
              ("operator_group_members", "group_id", "keep_added_to_groups"))


def merge(cur: psycopg.Cursor, keep: uuid.UUID, absorb: uuid.UUID, *, actor: str, reason: str) -> dict:
    """Fold operator `absorb` into `keep`: aliases, permits, versions, current rows, stats,
    watchlist items and group members move; `absorb` stays as a pointer (merged_into) so its P-5 number
    keeps resolving. Audited as a platform action. Run it on an owner-role connection."""
    if keep == absorb:
        raise MergeError("an operator cannot be merged into itself")
    cur.execute("SELECT id, merged_into, canonical_name FROM operators WHERE id = ANY(%s) FOR UPDATE", ([keep, absorb],))
    rows = {r[0]: r for r in cur.fetchall()}
    for oid in (keep, absorb):
        if oid not in rows:
            raise MergeError(f"no operator {oid}")
        if rows[oid][1] is not None:
            raise MergeError(f"operator {oid} was already merged into {rows[oid][1]}")
    # What moves is recorded row by row, so `unmerge` can put back exactly these rows.
    rows_moved = {
        "operator_aliases": _moved(cur, "UPDATE operator_aliases SET operator_id = %s WHERE operator_id = %s RETURNING id", keep, absorb),
        "permits": _moved(cur, "UPDATE permits SET operator_id = %s WHERE operator_id = %s RETURNING id", keep, absorb),
        "permit_versions": _moved(cur, "UPDATE permit_versions SET operator_id = %s WHERE operator_id = %s RETURNING id", keep, absorb),
        "permits_current": _moved(cur, "UPDATE permits_current SET operator_id = %s WHERE operator_id = %s RETURNING permit_id", keep, absorb),
        "wells": _moved(cur, "UPDATE wells SET operator_id = %s WHERE operator_id = %s RETURNING api_number", keep, absorb),
        "pointers": _moved(cur, "UPDATE operators SET merged_into = %s WHERE merged_into = %s RETURNING id", keep, absorb),
    }
    # Watchlist items and group members belong to workspaces: this is why a merge runs as the
    # owner role, whose maintenance policy spans workspaces (the application role's never does).
    for items, key, added in _SET_ITEMS:
        rows_moved[items] = [list(map(str, r)) for r in cur.execute(
            f"DELETE FROM {items} WHERE operator_id = %s RETURNING {key}, workspace_id", (absorb,)).fetchall()]
        # the sets that gain `keep` by this merge (not those that had it already)
        rows_moved[added] = [
            str(w) for w, ws in rows_moved[items]
            if cur.execute(f"INSERT INTO {items} ({key}, operator_id, workspace_id) VALUES (%s, %s, %s) "
                           f"ON CONFLICT DO NOTHING RETURNING {key}", (w, keep, ws)).fetchone()]
    refresh_operators(cur, [keep, absorb])
    cur.execute("UPDATE operators SET merged_into = %s, updated_at = now() WHERE id = %s", (keep, absorb))
    cur.execute("INSERT INTO operator_merges (keep_id, absorbed_id, actor, reason, moved) VALUES (%s, %s, %s, %s, %s)",
                (keep, absorb, actor, reason, json.dumps(rows_moved)))
    moved = {table: len(ids) for table, ids in rows_moved.items()}
    cur.execute(
        "INSERT INTO audit_log (workspace_id, action, entity_type, entity_id, metadata) VALUES (NULL, 'operator.merged', 'operator', %s, %s)",
        (str(keep), json.dumps({"absorbed": str(absorb), "absorbed_name": rows[absorb][2], "kept_name": rows[keep][2],
                                "actor": actor, "reason": reason, "moved": moved})),
    )
    return moved


def _moved(cur: psycopg.Cursor, sql: str, keep: uuid.UUID, absorb: uuid.UUID) -> list[str]:
    return [str(r[0]) for r in cur.execute(sql, (keep, absorb)).fetchall()]


def unmerge(cur: psycopg.Cursor, absorbed: uuid.UUID, *, actor: str, reason: str) -> dict:
    """Undo the merge that folded `absorbed` away: exactly the rows it moved go back, the
    stats of both are recomputed, and it is audited."""
    row = cur.execute("SELECT id, keep_id, moved FROM operator_merges WHERE absorbed_id = %s AND undone_at IS NULL "
                      "ORDER BY id DESC LIMIT 1 FOR UPDATE", (absorbed,)).fetchone()
    if row is None:
        raise MergeError(f"operator {absorbed} is not merged into another")
    merge_id, keep, moved = row
    for table, key in (("operator_aliases", "id"), ("permits", "id"), ("permit_versions", "id"), ("permits_current", "permit_id"),
                       ("wells", "api_number")):
        cast = "bigint" if table == "operator_aliases" else "text" if table == "wells" else "uuid"
        cur.execute(f"UPDATE {table} SET operator_id = %s WHERE operator_id = %s AND {key} = ANY(%s::{cast}[])",
                    (absorbed, keep, moved[table]))
    for items, key, added in _SET_ITEMS:  # merges made before groups moved did not record them
        for set_id, workspace in moved.get(items, []):
            cur.execute(f"INSERT INTO {items} ({key}, operator_id, workspace_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                        (set_id, absorbed, workspace))
        cur.execute(f"DELETE FROM {items} WHERE operator_id = %s AND {key} = ANY(%s::uuid[])", (keep, moved.get(added, [])))
    cur.execute("UPDATE operators SET merged_into = %s WHERE id = ANY(%s::uuid[])", (absorbed, moved["pointers"]))
    cur.execute("UPDATE operators SET merged_into = NULL, updated_at = now() WHERE id = %s", (absorbed,))
    refresh_operators(cur, [keep, absorbed])
    cur.execute("UPDATE operator_merges SET undone_at = now(), undone_by = %s WHERE id = %s", (actor, merge_id))
    counts = {table: len(ids) for table, ids in moved.items()}
    _audit_platform(cur, "operator.unmerged", absorbed, {"kept": str(keep), "actor": actor, "reason": reason, "moved_back": counts})
    return counts


def list_operators(cur: psycopg.Cursor, search: str | None = None, limit: int = 30) -> list[dict]:
    """Operators (merged ones folded away) with alias and permit counts, busiest first."""
    rows = cur.execute("""
        SELECT o.id, o.p5_number, o.canonical_name, count(DISTINCT a.id), count(DISTINCT c.permit_id)
        FROM operators o LEFT JOIN operator_aliases a ON a.operator_id = o.id
        LEFT JOIN permits_current c ON c.operator_id = o.id
        WHERE o.merged_into IS NULL AND (%(q)s::text IS NULL OR o.canonical_name ILIKE '%%' || %(q)s || '%%')
        GROUP BY o.id ORDER BY 5 DESC, 3 LIMIT %(n)s""", {"q": search, "n": limit}).fetchall()
    return [{"id": r[0], "p5_number": r[1], "name": r[2], "aliases": r[3], "permits": r[4]} for r in rows]


class LinkError(InvalidInput):
    pass


def link(cur: psycopg.Cursor, predecessor: uuid.UUID, successor: uuid.UUID, *, actor: str, note: str | None) -> int:
    """Record that `successor` carries on `predecessor` (a reorganisation under a new P-5
    number). Audited; `unlink` reverses it. Profiles and comparisons can follow the line."""
    if predecessor == successor:
        raise LinkError("an operator cannot succeed itself")
    found = dict(cur.execute("SELECT id, canonical_name FROM operators WHERE id = ANY(%s)", ([predecessor, successor],)).fetchall())
    for oid in (predecessor, successor):
        if oid not in found:
            raise LinkError(f"no operator {oid}")
    if cur.execute("SELECT 1 FROM operator_links WHERE predecessor_id = %s AND successor_id = %s",
                   (successor, predecessor)).fetchone():
        raise LinkError(f"{found[successor]} is already recorded as the predecessor of {found[predecessor]}")
    row = cur.execute("INSERT INTO operator_links (predecessor_id, successor_id, note, created_by) VALUES (%s, %s, %s, %s) "
                      "ON CONFLICT (predecessor_id, successor_id) DO NOTHING RETURNING id", (predecessor, successor, note, actor)).fetchone()
    if row is None:
        raise LinkError(f"{found[successor]} is already linked as the successor of {found[predecessor]}")
    _audit_platform(cur, "operator.linked", successor, {"predecessor": str(predecessor), "predecessor_name": found[predecessor],
                                                        "successor_name": found[successor], "actor": actor, "note": note})
    return row[0]


def unlink(cur: psycopg.Cursor, link_id: int, *, actor: str) -> None:
    row = cur.execute("DELETE FROM operator_links WHERE id = %s RETURNING predecessor_id, successor_id", (link_id,)).fetchone()
    if row is None:
        raise LinkError(f"no operator link {link_id}")
    _audit_platform(cur, "operator.unlinked", row[1], {"predecessor": str(row[0]), "actor": actor})


def suggestions(cur: psycopg.Cursor, *, min_score: float, limit: int) -> list[dict]:
    """Likely same-company pairs among operators not yet merged or linked, for review."""
    ops = cur.execute("SELECT id, canonical_name FROM operators WHERE merged_into IS NULL ORDER BY id").fetchall()
    linked = {frozenset(r) for r in cur.execute("SELECT predecessor_id, successor_id FROM operator_links").fetchall()}
    names = dict(ops)
    return [{"a": a, "a_name": names[a], "b": b, "b_name": names[b], "score": s}
            for a, b, s in suggest_pairs(ops, min_score=min_score, limit=limit + len(linked)) if frozenset((a, b)) not in linked][:limit]


def _audit_platform(cur: psycopg.Cursor, action: str, operator_id: uuid.UUID, metadata: dict) -> None:
    cur.execute("INSERT INTO audit_log (workspace_id, action, entity_type, entity_id, metadata) VALUES (NULL, %s, 'operator', %s, %s)",
                (action, str(operator_id), json.dumps(metadata)))
