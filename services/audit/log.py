"""Reading a workspace's audit log (RLS): newest first, filtered by action, person and
dates, in pages by id; and every matching entry for a CSV download."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import psycopg
from psycopg.rows import dict_row

from services.audit.words import describe
from services.errors import FieldError

MOST_CSV_ROWS = 100_000
CSV_COLUMNS = ("when_utc", "who", "what", "action", "item_type", "item_id", "details")


@dataclass(frozen=True)
class Filters:
    action: str | None = None  # an action ("webhook.created") or its family ("webhook")
    actor: uuid.UUID | None = None
    since: date | None = None
    until: date | None = None  # inclusive

    def checked(self) -> Filters:
        if self.since and self.until and self.until < self.since:
            raise FieldError("until", "the end date is before the start date")
        return self


def _where(f: Filters) -> tuple[str, dict]:
    parts, args = ["TRUE"], {}
    if f.action:
        parts.append("(a.action = %(action)s OR a.action LIKE %(family)s)")
        args |= {"action": f.action, "family": f.action.replace("%", "").replace("_", r"\_") + ".%"}
    if f.actor:
        parts.append("a.actor_user_id = %(actor)s")
        args["actor"] = f.actor
    if f.since:
        parts.append("a.created_at >= %(since)s")
        args["since"] = f.since
    if f.until:
        parts.append("a.created_at < %(until)s")
        args["until"] = f.until + timedelta(days=1)
    return " AND ".join(parts), args


_SELECT = """SELECT a.id, a.created_at AS at, a.action, a.entity_type, a.entity_id, a.metadata, a.actor_user_id AS actor_id,
                    coalesce(u.display_name, u.email) AS actor_name
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id"""


def _entry(r: dict) -> dict:
    details = r.pop("metadata") or {}
    return {**r, "what": describe(r["action"]), "details": details}


def page(cur: psycopg.Cursor, f: Filters, limit: int, before: int | None) -> dict:
    where, args = _where(f.checked())
    if before is not None:
        where += " AND a.id < %(before)s"
        args["before"] = before
    rows = cur.connection.cursor(row_factory=dict_row).execute(
        f"{_SELECT} WHERE {where} ORDER BY a.id DESC LIMIT %(n)s", {**args, "n": limit + 1}).fetchall()
    items = [_entry(r) for r in rows[:limit]]
    return {"items": items, "next_before": items[-1]["id"] if len(rows) > limit else None}


def choices(cur: psycopg.Cursor) -> dict:
    """The actions and people the log holds, for the filters."""
    c = cur.connection.cursor(row_factory=dict_row)
    actions = [{"action": r["action"], "what": describe(r["action"])} for r in
               c.execute("SELECT DISTINCT action FROM audit_log ORDER BY action").fetchall()]
    people = c.execute("""SELECT DISTINCT a.actor_user_id AS id, coalesce(u.display_name, u.email, 'a former member') AS name
                          FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id WHERE a.actor_user_id IS NOT NULL
                          ORDER BY 2""").fetchall()
    return {"actions": actions, "people": people}


def cell(value: str) -> str:
    """PURE: a spreadsheet must not run a name someone typed as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_lines(cur: psycopg.Cursor, f: Filters) -> Iterator[str]:
    """The CSV, a line at a time (newest first, at most MOST_CSV_ROWS entries)."""
    where, args = _where(f.checked())
    buf = io.StringIO()
    out = csv.writer(buf)

    def line(values) -> str:
        buf.seek(0)
        buf.truncate()
        out.writerow([cell(v) for v in values])
        return buf.getvalue()

    yield line(CSV_COLUMNS)
    with cur.connection.cursor(name="audit_csv", row_factory=dict_row) as named:
        named.execute(f"{_SELECT} WHERE {where} ORDER BY a.id DESC LIMIT %(n)s", {**args, "n": MOST_CSV_ROWS})
        for r in named:
            e = _entry(r)
            yield line((e["at"].isoformat(), e["actor_name"] or ("an API key or the system" if e["actor_id"] is None else "a former member"),
                        e["what"], e["action"], e["entity_type"] or "", e["entity_id"] or "", json.dumps(e["details"], default=str)))
