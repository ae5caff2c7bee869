"""The permit change feed: every change after a cursor, in the order they became visible,
with the permit's current fields and where the change came from. The cursor is the last
change's (transaction id, change id); only changes of transactions older than every running
one are served (see migration 0022), so the order never changes behind a cursor."""

from __future__ import annotations

import base64

import psycopg
from psycopg.rows import dict_row

from services.errors import FieldError
from services.permits.search import ITEM_COLUMNS

MAX_LIMIT = 1000


def encode(txid: int, change_id: int) -> str:
    """PURE: an opaque cursor."""
    return base64.urlsafe_b64encode(f"{txid}.{change_id}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[int, int]:
    """PURE: (transaction id, change id) of a cursor; the feed's start for none."""
    if not cursor:
        return 0, 0
    try:
        tx, cid = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(".")
        out = int(tx), int(cid)
    except (ValueError, UnicodeDecodeError):
        raise FieldError("since", "this cursor is not one the feed gave; start without one, or use next_cursor as given") from None
    if out[0] < 0 or out[1] < 0:
        raise FieldError("since", "this cursor is not one the feed gave")
    return out


_PAGE = f"""
SELECT pc.txid::text::bigint AS txid, pc.id, pc.change_type, pc.details, pc.source_seen_at AS published_at, pc.created_at AS recorded_at,
       p.source_permit_no AS status_number, v.sequence AS version, regexp_replace(r.source_uri, '^.*/', '') AS source_file,
       r.snapshot_at AS source_published_at,
       (SELECT row_to_json(x) FROM (SELECT {ITEM_COLUMNS} FROM permits_current c WHERE c.permit_id = pc.permit_id) x) AS permit
FROM permit_changes pc
JOIN permits p ON p.id = pc.permit_id
JOIN permit_versions v ON v.id = pc.permit_version_id
JOIN ingestion_runs r ON r.id = pc.ingestion_run_id
WHERE (pc.txid, pc.id) > (%(tx)s::text::xid8, %(id)s) AND pc.txid < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY pc.txid, pc.id
LIMIT %(n)s"""


def page(conn: psycopg.Connection, since: str | None, limit: int) -> dict:
    tx, cid = decode(since)
    rows = conn.cursor(row_factory=dict_row).execute(_PAGE, {"tx": tx, "id": cid, "n": min(max(limit, 1), MAX_LIMIT)}).fetchall()
    items = []
    for r in rows:
        items.append({"cursor": encode(r["txid"], r["id"]), "change_type": r["change_type"], "details": r["details"],
                      "published_at": r["published_at"], "recorded_at": r["recorded_at"], "status_number": r["status_number"],
                      "version": r["version"], "source_file": r["source_file"], "source_published_at": r["source_published_at"],
                      "permit": r["permit"]})
    return {"items": items, "next_cursor": items[-1]["cursor"] if items else (since or encode(0, 0)), "count": len(items),
            "more": len(items) == min(max(limit, 1), MAX_LIMIT)}


def head(conn: psycopg.Connection) -> str:
    """The cursor of the newest change a reader can be served now: a subscriber that starts
    here gets every change from now on, and none of the past."""
    row = conn.execute("""SELECT txid::text::bigint, id FROM permit_changes WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
                          ORDER BY txid DESC, id DESC LIMIT 1""").fetchone()
    return encode(*row) if row else encode(0, 0)
