"""AOI Activity Report rendering benchmark at 1,000,000 permits (a script that prints
figures, not a test).

Uses the 1M-permit database the web benchmark keeps (`permitwatch_bench_web`, loaded once,
migrated to the current schema here). For areas of three sizes and the newest month of the
data, a report job is asked for as a workspace would and run by
`services.exports.jobs.run` (the export worker's code: read, map, PDF, workbook, storage),
timed end to end; its phases are then timed one by one in the same snapshot. The reference,
measured in the same run: the raw SQL of the report's largest table (the period's permits in
the area, `COPY ... TO STDOUT`), the part no report can skip.

Usage:  .venv/bin/python tests/benchmarks/bench_reports.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services import localstack  # noqa: E402
from services.db.engine import set_tenant  # noqa: E402
from services.exports import jobs  # noqa: E402
from services.exports import report_content as content  # noqa: E402
from services.exports import report_jobs as reports  # noqa: E402
from services.exports import report_map as mapsvg  # noqa: E402
from services.exports import report_render as render  # noqa: E402
from services.exports.report_period import Period  # noqa: E402
from services.tenancy import admin  # noqa: E402
from tests.benchmarks.bench_exports import settings_for  # noqa: E402
from tests.benchmarks.bench_web import ensure_data  # noqa: E402

# (name, lon, lat, half-width in degrees), where the generated 1M permits are (the Delaware
# basin): a lease block, a county, a basin core of several counties
AREAS = [("Lease block", -103.03, 31.85, 0.05), ("County-sized", -103.03, 31.85, 0.25), ("Basin core", -103.2, 31.7, 0.55)]
REFERENCE = """COPY (SELECT c.issued_date, c.status_number, c.operator_name, c.lease_name, c.well_number, c.county, c.filing_purpose,
                       c.wellbore_profile, c.total_depth FROM permits_current c, aois a
                WHERE a.id = %s AND c.source = 'rrc_daf420' AND c.issued_date BETWEEN %s AND %s AND ST_Intersects(c.geom, a.match_geom)
                ORDER BY c.issued_date DESC, c.status_number DESC) TO STDOUT"""


def _box(lon: float, lat: float, d: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]}


def reference(conn: psycopg.Connection, aoi: uuid.UUID, p: Period) -> tuple[float, int]:
    t = time.perf_counter()
    rows = 0
    with conn.cursor().copy(psycopg.ClientCursor(conn).mogrify(REFERENCE, (aoi, p.start, p.end))) as cp:
        for chunk in cp:
            rows += bytes(chunk).count(b"\n")
    return time.perf_counter() - t, rows


def phases(settings, ws: uuid.UUID, aoi: uuid.UUID, p: Period, tmp: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    with psycopg.connect(settings.database_url) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        set_tenant(conn.cursor(), ws)
        t = time.perf_counter()
        report = content.gather(conn, aoi, p, "America/Chicago")
        out["read"] = time.perf_counter() - t
        t = time.perf_counter()
        svg = mapsvg.draw(conn, aoi, p.start, p.end)
        out["map"] = time.perf_counter() - t
    t = time.perf_counter()
    out["pages"] = render.pdf(render.html(report, svg, workspace="bench", report_id="bench"), tmp / "r.pdf")
    out["pdf"] = time.perf_counter() - t
    t = time.perf_counter()
    render.workbook(report, tmp / "r.xlsx", "bench")
    out["xlsx"] = time.perf_counter() - t
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = localstack.up()
    child = ensure_data(env)
    subprocess.run([sys.executable, "-m", "services", "db", "upgrade"], env=child, check=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    settings = settings_for(child, tmp / "data")
    with psycopg.connect(settings.database_owner_url) as conn:
        total, last = conn.execute("SELECT count(*), max(issued_date) FROM permits_current").fetchone()
    period = Period(last.replace(day=1), last)  # the newest month the data has
    with psycopg.connect(settings.database_url) as conn:
        ws = admin.create_workspace(conn, f"bench reports {uuid.uuid4().hex[:6]}", f"bench-{uuid.uuid4().hex[:8]}@example.com", verified=True)
        areas = [(name, admin.create_aoi(conn, ws.workspace_id, name, _box(lon, lat, d), buffer_meters=1000, created_by=ws.user_id))
                 for name, lon, lat, d in AREAS]
    print(f"{total:,} permits; period {period.label()}; each area with a 1 km buffer; {args.runs} runs, medians", flush=True)
    print("| area | permits in period | pages | report job (end to end) | read | map | PDF | workbook | raw SQL of its permits (COPY) | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for name, aoi in areas:
            ends, parts, refs, rows = [], [], [], 0
            for _ in range(args.runs):
                with psycopg.connect(settings.database_url) as conn, conn.transaction():
                    cur = conn.cursor()
                    set_tenant(cur, ws.workspace_id, ws.user_id)
                    job = reports.ask(cur, settings, ws.workspace_id, ws.user_id, aoi, period.start, period.end, [])
                t = time.perf_counter()
                assert jobs.run(settings, job, ws.workspace_id) == "completed"
                ends.append(time.perf_counter() - t)
                parts.append(phases(settings, ws.workspace_id, aoi, period, tmp))
                with psycopg.connect(settings.database_owner_url) as conn:
                    seconds, rows = reference(conn, aoi, period)
                refs.append(seconds)
            med = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
            e, r = statistics.median(ends), statistics.median(refs)
            print(f"| {name} | {rows:,} | {med['pages']:.0f} | {e:.2f} s | {med['read']:.2f} s | {med['map']:.2f} s | {med['pdf']:.2f} s | "
                  f"{med['xlsx']:.2f} s | {r * 1000:.0f} ms | {e / r:,.0f}x |", flush=True)
    finally:
        with psycopg.connect(settings.database_owner_url) as conn:
            conn.execute("DELETE FROM workspaces WHERE id = %s", (ws.workspace_id,))
    print("the PDF shows the first 200 rows of each table (the workbook has all); reading is one REPEATABLE READ snapshot")


if __name__ == "__main__":
    main()
