"""Loading the P-5 organization file: a run, every 'A ' record kept in the raw layer (by its
hash, so an unchanged record is stored once), malformed records quarantined, then the
official name, status and organization type set on the operators we know by P-5 number
(the file lists about 75,000 organizations; operators are created by the permits that
name them, not by this file). One transaction: a crash leaves nothing half done."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from services.ingestion.fetch import open_source
from services.operators import p5
from services.operators.names import name_key


def load(conn: psycopg.Connection, uri: str, *, data_dir: Path, published_at: datetime | None = None) -> dict:
    source = open_source(uri, data_dir)
    with source.lines() as lines:
        parsed = p5.parse(lines)
    seen = published_at or datetime.now(UTC)
    with conn.transaction():
        cur = conn.cursor()
        run = cur.execute("INSERT INTO ingestion_runs (source, status, source_uri, file_sha256, snapshot_at) "
                          "VALUES ('rrc_p5', 'running', %s, %s, %s) RETURNING id", (uri, source.sha256, seen)).fetchone()[0]
        cur.execute("CREATE TEMP TABLE tmp_p5 (number text, name text, status text, organization text, date_inactive date, "
                    "raw text, line_no int) ON COMMIT DROP")
        with cur.copy("COPY tmp_p5 FROM STDIN") as cp:
            for r in parsed.records:
                cp.write_row((r.operator_number, r.name, r.status, r.organization, r.date_inactive, r.raw, r.line_no))
        raw = cur.execute("""INSERT INTO permit_raw_records (source, source_record_id, source_seen_at, raw_payload, raw_hash, ingestion_run_id)
                             SELECT 'rrc_p5', number, %s, jsonb_build_object('line', raw, 'line_no', line_no),
                                    encode(sha256(convert_to(raw, 'UTF8')), 'hex'), %s FROM tmp_p5
                             ON CONFLICT ON CONSTRAINT permit_raw_records_dedupe DO NOTHING""", (seen, run)).rowcount
        cur.executemany("INSERT INTO ingestion_quarantine (ingestion_run_id, source, line_no, reason, details, raw_text) "
                        "VALUES (%s, 'rrc_p5', %s, %s, %s, %s)",
                        [(run, n, reason, json.dumps({"detail": detail}), text[:2000]) for n, reason, detail, text in parsed.problems])
        updated = cur.execute("""UPDATE operators o SET p5_name = t.name, p5_status = t.status, p5_organization = t.organization,
                                        p5_date_inactive = t.date_inactive, p5_seen_at = %s
                                 FROM tmp_p5 t WHERE o.p5_number = t.number""", (seen,)).rowcount
        known = cur.execute("SELECT o.id, t.name FROM operators o JOIN tmp_p5 t ON t.number = o.p5_number").fetchall()
        cur.executemany("INSERT INTO operator_aliases (operator_id, alias_name, name_key, source) VALUES (%s, %s, %s, 'p5') "
                        "ON CONFLICT ((lower(alias_name))) DO NOTHING", [(oid, name, name_key(name)) for oid, name in known])
        metrics = {"records": len(parsed.records), "quarantined": len(parsed.problems), "child_records": parsed.children,
                   "joined_fragments": parsed.joined, "raw_new": raw, "operators_updated": updated}
        cur.execute("UPDATE ingestion_runs SET status = %s, finished_at = now(), promoted = true, metrics = %s WHERE id = %s",
                    ("warning" if parsed.problems else "success", json.dumps(metrics), run))
    return {"run_id": str(run), **metrics}
