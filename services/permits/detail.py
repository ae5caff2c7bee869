"""One permit with its whole history: every version RRC published (original filing and
amendments), what changed between them, the operator, RRC identifiers, location and
legal description. Permits are public data; no workspace context is needed."""

from __future__ import annotations

import re
import uuid

import psycopg
from psycopg.rows import dict_row

from services.permits import history
from services.permits.search import SearchError
from services.permits.wells import well_of

_STATUS_NO = re.compile(r"^\d{5,8}$")


def find(cur: psycopg.Cursor, ref: str) -> dict | None:
    """ref: a permit id (uuid) or an RRC status number."""
    try:
        key, sql = uuid.UUID(ref), "c.permit_id = %s"
    except ValueError:
        if not _STATUS_NO.match(ref or ""):
            raise SearchError("permit", "must be a permit id or an RRC status number (digits)") from None
        key, sql = ref, "c.status_number = %s"
    dcur = cur.connection.cursor(row_factory=dict_row)
    permit = dcur.execute(
        f"SELECT c.permit_id, c.version_id, c.status_number, c.api_number, c.operator_id, o.canonical_name AS operator, c.operator_number, "
        f"c.operator_name, c.lease_name, c.well_number, c.county, c.county_code, c.district, c.filing_purpose, c.filing_purpose_code, "
        f"c.wellbore_profile, c.total_depth, c.status, c.well_status, c.filed_date, c.issued_date, c.amended_date, c.spud_date, "
        f"c.expiration_date, c.amendment_count, c.first_seen_at, c.source_seen_at, c.location_carried, "
        f"ST_AsGeoJSON(c.geom, 6)::json AS location, ST_AsGeoJSON(c.bhl_geom, 6)::json AS bottom_holes "
        f"FROM permits_current c LEFT JOIN operators o ON o.id = c.operator_id WHERE {sql} ORDER BY c.source = 'rrc_daf420' DESC LIMIT 1",
        (key,)).fetchone()
    if permit is None:
        return None
    versions = dcur.execute(
        "SELECT v.id, v.sequence, v.source_seen_at, v.status, v.permit_type AS filing_purpose, v.amended_date, v.issued_date, "
        "v.total_depth, v.well_status, v.attributes->>'lease_name' AS lease_name, "
        "ST_AsGeoJSON(v.geom, 6)::json AS location, "
        "(SELECT coalesce(json_agg(json_build_object('change', ch.change_type, 'details', ch.details) ORDER BY ch.id), '[]') "
        " FROM permit_changes ch WHERE ch.permit_version_id = v.id) AS changes "
        "FROM permit_versions v WHERE v.permit_id = %s ORDER BY v.source_seen_at, v.sequence DESC", (permit["permit_id"],)).fetchall()
    # What the file says beyond the indexed columns, from the version permits_current shows.
    row = cur.execute("SELECT attributes FROM permit_versions WHERE id = %s AND permit_id = %s",
                      (permit.pop("version_id"), permit["permit_id"])).fetchone()
    a = row[0] if row else {}
    permit["legal_description"] = a.get("surface_legal")
    permit["nearest_city"] = {"city": a.get("nearest_city"), "miles": a.get("miles_from_city"), "direction": a.get("direction_from_city")}
    permit["fields"] = a.get("fields") or []
    permit["acres"] = a.get("acres")
    for v in versions:
        for c in v["changes"]:
            c["summary"] = history.describe(c["details"])
    permit["versions"] = versions
    permit["location_source"] = a.get("location_source") or ("RRC daily file" if permit["location"] else None)
    permit["timeline"], permit["first_alert_at"] = timeline(dcur, permit["status_number"])
    permit["well"] = well_of(cur, permit.get("api_number"))
    return permit


TIMELINE_SQL = """
SELECT ch.change_type AS kind, ch.source_seen_at AS published_at, p.source, ch.details->>'evidence' AS evidence,
       (ch.details->>'hours_to_approval')::float AS hours_to_approval,
       coalesce(ch.details->>'submitted_at', v.attributes->>'submitted_at') AS submitted_at
FROM permits p JOIN permit_changes ch ON ch.permit_id = p.id
JOIN permit_versions v ON v.id = ch.permit_version_id AND v.source_seen_at = ch.source_seen_at
WHERE p.source_permit_no = %s AND ch.change_type IN ('filed', 'approved', 'new', 'left_pending')
ORDER BY ch.source_seen_at, ch.id
"""
# The workspace's first alert about the permit (row-level security keeps it to the workspace).
FIRST_ALERT_SQL = """
SELECT min(at) FROM (
  SELECT o.sent_at AS at FROM notification_outbox o JOIN alert_events e ON e.id = o.alert_event_id
  WHERE e.permit_id = ANY(%(ids)s) AND o.status = 'sent'
  UNION ALL
  SELECT n.created_at FROM notifications n JOIN alert_events e ON e.id = n.alert_event_id WHERE e.permit_id = ANY(%(ids)s)) x
"""


def timeline(dcur, status_number: str) -> tuple[list[dict], object]:
    """Filing -> approval (or no longer pending), with the RRC's publication times, from
    both sources that name the status number."""
    steps = dcur.execute(TIMELINE_SQL, (status_number,)).fetchall()
    ids = [r["id"] for r in dcur.execute("SELECT id FROM permits WHERE source_permit_no = %s", (status_number,)).fetchall()]
    first = dcur.execute(FIRST_ALERT_SQL, {"ids": ids}).fetchone()
    return [{k: v for k, v in s.items() if k != "source"} for s in steps], (first or {}).get("min")
