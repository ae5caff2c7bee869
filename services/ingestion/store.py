"""Database side of an ingestion run: the per-run staging table, the raw layer, QA rows,
quarantine, and writing decided versions/changes/current rows in bulk (COPY).

Everything here runs inside the run's single batch transaction, opened by
`services.ingestion.pipeline`; nothing commits on its own.
"""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Iterator
from datetime import datetime

import psycopg

from services.ingestion.qa import Check
from services.ingestion.sources.rrc import PermitRecord, SkippedLine
from services.ingestion.versioning import Decision, Filing, Incoming, PermitState
from services.permits.legal import legal_text
from services.permits.wells import latest_completion

_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode

STAGE_DDL = """
CREATE TEMP TABLE stage (
  seq_no bigint NOT NULL,
  kind text NOT NULL,                 -- record | line
  source_record_id text,
  status_number text,
  sequence int,
  line_no int NOT NULL,
  raw_hash text,
  raw_payload text,                   -- JSON text; becomes jsonb in the raw layer
  fields text,                        -- JSON text, read back as text and decoded only if needed
  problems jsonb,
  fatal boolean NOT NULL DEFAULT false,
  reason text,
  county_code text,
  lon float8,
  lat float8,
  operator_number text,
  operator_name text,
  outside_county boolean NOT NULL DEFAULT false
) ON COMMIT DROP;
CREATE TEMP TABLE stage_raw_ids (source_record_id text, raw_hash text, raw_id bigint) ON COMMIT DROP
"""
STAGE_COLUMNS = ("seq_no", "kind", "source_record_id", "status_number", "sequence", "line_no", "raw_hash",
                 "raw_payload", "fields", "problems", "fatal", "reason", "county_code", "lon", "lat",
                 "operator_number", "operator_name")


def stage_rows(items: Iterator[PermitRecord | SkippedLine]) -> Iterator[tuple]:
    """One staging row per record or skipped line."""
    for seq_no, item in enumerate(items):
        if isinstance(item, SkippedLine):
            yield (seq_no, "line", None, item.status_number, None, item.line_no, None, None, None, None,
                   False, item.reason, None, None, None, None, None)
            continue
        f = item.fields
        loc = f.get("surface_location") or {}
        fatal = item.fatal
        yield (seq_no, "record", item.source_record_id, item.status_number, item.sequence, item.line_no,
               item.raw_hash, _dumps({"lines": item.lines, "line_no": item.line_no}),
               _dumps(f), _dumps([p.as_dict() for p in item.problems]) if item.problems else None,
               fatal, next((p.code for p in item.problems if p.fatal), None) if fatal else None,
               f.get("county_code"), loc.get("lon"), loc.get("lat"), f.get("operator_number"), f.get("operator_name"))


def create_stage(cur: psycopg.Cursor) -> None:
    cur.execute(STAGE_DDL)


def copy_stage(cur: psycopg.Cursor, rows: Iterator[tuple]) -> None:
    with cur.copy(f"COPY stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
    cur.execute("CREATE INDEX ON stage (status_number, seq_no)")
    cur.execute("ANALYZE stage")


def flag_outside_county(cur: psycopg.Cursor, tolerance_m: float) -> int:
    """Points farther than the tolerance from their stated county's polygon. The cheap
    planar containment test runs first; only misses pay for the geodesic distance."""
    cur.execute("""
        UPDATE stage s SET outside_county = true
        FROM ref_counties c
        WHERE s.kind = 'record' AND s.lon IS NOT NULL AND c.code = s.county_code AND c.geom IS NOT NULL
          AND NOT ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326))
          AND NOT ST_DWithin(c.geom::geography, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)::geography, %s)
    """, (tolerance_m,))
    return cur.rowcount


def insert_raw(cur: psycopg.Cursor, source: str, run_id: uuid.UUID, seen_at: datetime) -> int:
    """Append-only raw layer, deduplicated on (source, record id, payload hash)."""
    # The new rows' ids go to a narrow side table: rewriting every wide staging row to
    # note its id would cost as much as the insert.
    cur.execute("""
        WITH ins AS (
          INSERT INTO permit_raw_records (source, source_record_id, source_seen_at, raw_payload, raw_hash, ingestion_run_id)
          SELECT %s, source_record_id, %s, raw_payload::jsonb, raw_hash, %s FROM stage WHERE kind = 'record' ORDER BY seq_no
          ON CONFLICT (source, source_record_id, raw_hash) DO NOTHING
          RETURNING id, source_record_id, raw_hash)
        INSERT INTO stage_raw_ids SELECT source_record_id, raw_hash, id FROM ins
    """, (source, seen_at, run_id))
    new = cur.rowcount
    cur.execute("CREATE INDEX ON stage_raw_ids (source_record_id, raw_hash)")
    return new


def quarantine(cur: psycopg.Cursor, source: str, run_id: uuid.UUID) -> int:
    """Fatal records and lines that belong to no record: kept with the reason."""
    cur.execute("""
        INSERT INTO ingestion_quarantine (ingestion_run_id, source, source_record_id, line_no, reason, details, raw_text)
        SELECT %s, %s, coalesce(source_record_id, status_number), line_no, reason,
               CASE WHEN kind = 'record' THEN jsonb_build_object('problems', problems) END,
               CASE WHEN kind = 'record' THEN array_to_string(ARRAY(SELECT jsonb_array_elements_text(raw_payload::jsonb->'lines')), E'\\n') END
        FROM stage WHERE kind = 'line' OR fatal ORDER BY seq_no
    """, (run_id, source))
    return cur.rowcount


def record_checks(cur: psycopg.Cursor, run_id: uuid.UUID, checks: list[Check]) -> None:
    cur.executemany("INSERT INTO data_quality_checks (ingestion_run_id, check_name, status, details) VALUES (%s, %s, %s, %s)",
                    [(run_id, c.name, c.status, _dumps(c.details)) for c in checks])


def operators_seen(cur: psycopg.Cursor) -> dict[str, str]:
    """P-5 number -> the name on its latest record in this file."""
    cur.execute("""SELECT DISTINCT ON (operator_number) operator_number, operator_name FROM stage
                   WHERE kind = 'record' AND NOT fatal AND operator_number ~ '^[0-9]+$'
                   ORDER BY operator_number, seq_no DESC""")
    return {n: name or "" for n, name in cur.fetchall()}


def iter_permit_groups(conn: psycopg.Connection, batch: int) -> Iterator[list[tuple[str, list[tuple]]]]:
    """Promotable records grouped per status number, in chunks of about `batch` permits.
    Fields stay JSON text until a record turns out to have changed."""
    with conn.cursor(name="stage_reader") as sc:
        sc.itersize = batch * 2
        sc.execute("""SELECT s.status_number, s.sequence, s.raw_hash, r.raw_id, s.fields, s.problems, s.outside_county
                      FROM stage s LEFT JOIN stage_raw_ids r ON r.source_record_id = s.source_record_id AND r.raw_hash = s.raw_hash
                      WHERE s.kind = 'record' AND NOT s.fatal ORDER BY s.status_number, s.seq_no""")
        chunk: list[tuple[str, list[tuple]]] = []
        for row in sc:
            if chunk and chunk[-1][0] == row[0]:
                chunk[-1][1].append(row)
                continue
            if len(chunk) >= batch:
                yield chunk
                chunk = []
            chunk.append((row[0], [row]))
        if chunk:
            yield chunk


def load_states(cur: psycopg.Cursor, source: str, numbers: list[str]) -> dict[str, PermitState]:
    """Known permits and their filings' hashes, without content (loaded only if needed)."""
    cur.execute("""
        SELECT p.source_permit_no, p.id, c.version_id, f.sequence, f.version_id, f.version_hash, f.raw_hash
        FROM permits p
        LEFT JOIN permits_current c ON c.permit_id = p.id
        LEFT JOIN permit_filings f ON f.permit_id = p.id
        WHERE p.source = %s AND p.source_permit_no = ANY(%s)
    """, (source, numbers))
    states: dict[str, PermitState] = {}
    for number, pid, current, seq, vid, vhash, rhash in cur.fetchall():
        st = states.get(number)
        if st is None:
            st = states[number] = PermitState(pid, {}, current)
        if seq is not None:
            st.filings[seq] = Filing(seq, vid, vhash, rhash, None)  # type: ignore[arg-type]
    return states


def load_contents(cur: psycopg.Cursor, states: list[PermitState]) -> None:
    if not states:
        return
    by_id = {s.permit_id: s for s in states}
    cur.execute("""SELECT f.permit_id, f.sequence, v.attributes FROM permit_filings f
                   JOIN permit_versions v ON v.id = f.version_id AND v.source_seen_at = f.version_seen_at
                   WHERE f.permit_id = ANY(%s)""", (list(by_id),))
    for pid, seq, content in cur.fetchall():
        by_id[pid].filings[seq].content = content


def to_incoming(row: tuple) -> Incoming:
    _, seq, raw_hash, raw_id, fields, problems, outside = row
    problems = list(problems or [])
    if outside:
        problems.append({"code": "outside_county", "message": "surface location is outside the stated county"})
    return Incoming(seq, raw_hash, json.loads(fields), raw_id, problems)


# Geometries go to COPY as hex EWKB (little-endian, SRID 4326), which PostGIS reads
# without parsing WKT text.
_SRID_FLAG = 0x20000000
_POINT = struct.Struct("<BIIdd")
_MULTI = struct.Struct("<BIII")
_PART = struct.Struct("<BIdd")


def _ewkb_point(loc: dict | None) -> str | None:
    return _POINT.pack(1, 1 | _SRID_FLAG, 4326, loc["lon"], loc["lat"]).hex() if loc else None


def _ewkb_multipoint(locs: list[dict] | None) -> str | None:
    if not locs:
        return None
    return (_MULTI.pack(1, 4 | _SRID_FLAG, 4326, len(locs)) + b"".join(_PART.pack(1, 1, p["lon"], p["lat"]) for p in locs)).hex()


TEMP_DDL = """
CREATE TEMP TABLE IF NOT EXISTS tmp_filings (LIKE permit_filings) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS tmp_current (LIKE permits_current INCLUDING DEFAULTS) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS tmp_raw_only (permit_id uuid, sequence smallint, raw_hash text) ON COMMIT DROP;
"""
VERSION_COLUMNS = ("id", "permit_id", "sequence", "source_seen_at", "effective_at", "version_hash", "ingestion_run_id",
                   "raw_record_id", "status", "permit_type", "filing_purpose_code", "wellbore_profile", "county",
                   "county_code", "district", "operator_id", "lease_name", "well_number", "api_number", "total_depth",
                   "filed_date", "issued_date", "amended_date", "spud_date", "well_status", "geom", "bhl_geom",
                   "location_carried", "attributes", "problems")
FILING_COLUMNS = ("permit_id", "sequence", "version_id", "version_seen_at", "version_hash", "raw_hash", "first_seen_at", "last_seen_at")
CURRENT_COLUMNS = ("permit_id", "version_id", "source", "status_number", "sequence", "api_number", "operator_id",
                   "operator_number", "operator_name", "lease_name", "well_number", "county_code", "county", "district",
                   "filing_purpose", "filing_purpose_code", "wellbore_profile", "total_depth", "status", "well_status",
                   "filed_date", "issued_date", "amended_date", "spud_date", "expiration_date", "amendment_count",
                   "effective_at", "first_seen_at", "source_seen_at", "geom", "bhl_geom", "location_carried", "legal_text",
                   "completion_date")


class Batch:
    """One chunk's decisions as rows, built in memory (no I/O) so the next chunk can be
    decided while the previous one is written."""

    def __init__(self, source: str, run_id: uuid.UUID, seen_at: datetime, operator_ids: dict[str, uuid.UUID]):
        self.source, self.run_id, self.seen_at, self.operator_ids = source, run_id, seen_at, operator_ids
        self.permits: list[tuple] = []
        self.versions: list[tuple] = []
        self.changes: list[tuple] = []
        self.filings: list[tuple] = []  # of known permits: upserted
        self.new_filings: list[tuple] = []  # of permits first seen now: plain COPY
        self.current: list[tuple] = []
        self.new_current: list[tuple] = []
        self.raw_only: list[tuple] = []
        self.version_meta: dict[uuid.UUID, tuple[datetime, bool]] = {}

    def _op(self, content: dict) -> uuid.UUID | None:
        return self.operator_ids.get(content.get("operator_number") or "")

    def add(self, number: str, decision: Decision) -> None:
        pid = decision.permit_id
        if decision.is_new_permit:
            first = decision.versions[0].content if decision.versions else {}
            self.permits.append((pid, self.source, number, first.get("api_number"), self._op(first), self.seen_at))
        for v in decision.versions:
            c = v.content
            self.version_meta[v.id] = (v.effective_at, v.location_carried)
            self.versions.append((
                v.id, pid, v.sequence, self.seen_at, v.effective_at, v.version_hash, self.run_id, v.raw_record_id,
                c.get("application_status"), c.get("filing_purpose"), c.get("filing_purpose_code"),
                c.get("wellbore_profile"), c.get("county"), c.get("county_code"), c.get("district"), self._op(c),
                c.get("lease_name"), c.get("well_number"), c.get("api_number"), c.get("total_depth"),
                c.get("received_date"), c.get("issued_date"), c.get("amended_date"), c.get("spud_date"),
                c.get("well_status"), _ewkb_point(c.get("surface_location")), _ewkb_multipoint(c.get("bottom_hole_locations")),
                v.location_carried, v.content_json, _dumps(v.problems) if v.problems else None))
        for ch in decision.changes:
            self.changes.append((pid, ch.version_id, ch.sequence, ch.change_type, _dumps(ch.details) if ch.details else None,
                                 self.run_id, self.seen_at))
        filings = self.new_filings if decision.is_new_permit else self.filings
        for f in decision.filings.values():
            filings.append((pid, f.sequence, f.version_id, self.seen_at, f.version_hash, f.raw_hash, self.seen_at, self.seen_at))
        for seq, raw_hash in decision.raw_only.items():
            self.raw_only.append((pid, seq, raw_hash))
        if decision.current is not None:
            (self.new_current if decision.is_new_permit else self.current).append(self._current_row(number, pid, decision.current))

    def _current_row(self, number: str, pid: uuid.UUID, f: Filing) -> tuple:
        c = f.content
        # The current filing changes only through a version made in this same decision.
        effective, carried = self.version_meta[f.version_id]
        return (pid, f.version_id, self.source, number, f.sequence, c.get("api_number"), self._op(c),
                c.get("operator_number"), c.get("operator_name"), c.get("lease_name"), c.get("well_number"),
                c.get("county_code"), c.get("county"), c.get("district"), c.get("filing_purpose"),
                c.get("filing_purpose_code"), c.get("wellbore_profile"), c.get("total_depth"),
                c.get("application_status"), c.get("well_status"), c.get("received_date"), c.get("issued_date"),
                c.get("amended_date"), c.get("spud_date"), c.get("expiration_date"), max(0, 99 - f.sequence),
                effective, self.seen_at, self.seen_at, _ewkb_point(c.get("surface_location")),
                _ewkb_multipoint(c.get("bottom_hole_locations")), carried, legal_text(c.get("surface_legal")),
                latest_completion(c.get("fields")))


class Writer:
    """Writes batches with COPY and set-based upserts, one at a time, on one cursor."""

    def __init__(self, cur: psycopg.Cursor):
        self.cur = cur
        cur.execute(TEMP_DDL)

    def _copy(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)

    def flush(self, b: Batch) -> dict[str, int]:
        cur = self.cur
        self._copy("permits", ("id", "source", "source_permit_no", "api_number", "operator_id", "first_seen_at"), b.permits)
        self._copy("permit_versions", VERSION_COLUMNS, b.versions)
        self._copy("permit_changes", ("permit_id", "permit_version_id", "sequence", "change_type", "details",
                                      "ingestion_run_id", "source_seen_at"), b.changes)
        self._copy("permit_filings", FILING_COLUMNS, b.new_filings)
        self._copy("permits_current", CURRENT_COLUMNS, b.new_current)
        if b.filings:
            cur.execute("TRUNCATE tmp_filings")
            self._copy("tmp_filings", FILING_COLUMNS, b.filings)
            cur.execute("""INSERT INTO permit_filings SELECT * FROM tmp_filings
                           ON CONFLICT (permit_id, sequence) DO UPDATE SET version_id = EXCLUDED.version_id,
                             version_seen_at = EXCLUDED.version_seen_at, version_hash = EXCLUDED.version_hash,
                             raw_hash = EXCLUDED.raw_hash, last_seen_at = EXCLUDED.last_seen_at""")
        if b.raw_only:
            cur.execute("TRUNCATE tmp_raw_only")
            self._copy("tmp_raw_only", ("permit_id", "sequence", "raw_hash"), b.raw_only)
            cur.execute("""UPDATE permit_filings f SET raw_hash = t.raw_hash, last_seen_at = %s FROM tmp_raw_only t
                           WHERE f.permit_id = t.permit_id AND f.sequence = t.sequence""", (b.seen_at,))
        if b.current:
            self._write_current(b.current)
        return {"permits": len(b.permits), "versions": len(b.versions), "changes": len(b.changes),
                "current": len(b.current) + len(b.new_current)}

    def _write_current(self, rows: list[tuple]) -> None:
        """Known permits whose current version moved; their operator or API may differ too."""
        cur = self.cur
        cur.execute("TRUNCATE tmp_current")
        self._copy("tmp_current", CURRENT_COLUMNS, rows)
        cols = [c for c in CURRENT_COLUMNS if c not in ("permit_id", "first_seen_at")]
        cur.execute(f"""
            INSERT INTO permits_current ({', '.join(CURRENT_COLUMNS)}, updated_at)
            SELECT {', '.join(CURRENT_COLUMNS)}, now() FROM tmp_current
            ON CONFLICT (permit_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in cols)}, updated_at = now()""")
        cur.execute("""
            UPDATE permits p SET operator_id = t.operator_id, api_number = coalesce(t.api_number, p.api_number)
            FROM tmp_current t WHERE p.id = t.permit_id
              AND (p.operator_id IS DISTINCT FROM t.operator_id OR p.api_number IS DISTINCT FROM t.api_number)""")

