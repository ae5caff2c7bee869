"""Peer comparison benchmark at 1,000,000 permits (a script that prints figures, not a test).

Loads the generated 1M-permit daily file into its own database once (the same database
`bench_web.py` uses, kept between runs), then for the busiest counties and districts times
the comparison from the aggregates (`operator_stats_monthly` and `_daily`) beside the same figures computed
from the permits themselves, in the same run, and a drawn area (which always reads the
permits inside it, through the GIST index). p50/p95 of the domain call (`compare.rank`),
JIT off as the web pool runs it.

Usage:  .venv/bin/python tests/benchmarks/bench_operators.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services import localstack  # noqa: E402
from services.ingestion.demo import write_demo  # noqa: E402
from services.operators import compare  # noqa: E402
from tests.benchmarks.bench_ingest import BENCH  # noqa: E402
from tests.benchmarks.bench_web import SIZE, ensure_data  # noqa: E402

TODAY = date(2027, 6, 30)  # every generated permit old enough to judge for spud
# The generated permits are issued in July 2026. A calendar year reads whole months only; a
# year from mid-July also reads the daily rows of the month it cuts (half the permits).
PERIODS = {(date(2026, 1, 1), date(2026, 12, 31)): "2026", (date(2025, 7, 15), date(2026, 7, 14)): "year to Jul 14"}


def _p50_p95(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]


def _once(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def timings(fn, runs: int) -> tuple[float, float]:
    return _p50_p95([_once(fn) for _ in range(runs)])


def paired_timings(fast, slow, runs: int, every: int = 4) -> tuple[tuple[float, float], tuple[float, float]]:
    """Both calls timed over the same stretch of time, the slow one every `every`th round: on
    a noisy machine a burst then slows both, not only whichever ran during it."""
    a, b = [], []
    for i in range(runs):
        a.append(_once(fast))
        if i % every == 0:
            b.append(_once(slow))
    return _p50_p95(a), _p50_p95(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    env = localstack.up()
    if not sorted((BENCH / f"p{SIZE}").glob("*.dat*")):
        t = time.perf_counter()
        write_demo(BENCH / f"p{SIZE}", seed=1, permits=SIZE, start=date(2026, 7, 1), days=30, only_last=True)
        print(f"generated the {SIZE:,}-permit file in {time.perf_counter() - t:.0f} s", flush=True)
    child = ensure_data(env)
    subprocess.run([sys.executable, "-m", "services", "db", "upgrade"], env=child, check=True)  # a database kept from older code
    with psycopg.connect(child["PERMITWATCH_DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) operator_stats_daily")
        conn.execute("VACUUM (ANALYZE) operator_stats_monthly")
        conn.autocommit = False  # in a transaction, as a web request runs it
        conn.execute("SET jit = off")
        permits, rows, months = conn.execute("SELECT (SELECT count(*) FROM permits_current), (SELECT count(*) FROM operator_stats_daily), "
                                             "(SELECT count(*) FROM operator_stats_monthly)").fetchone()
        print(f"{permits:,} permits; operator_stats_daily holds {rows:,} rows (operator x county x issue day), "
              f"operator_stats_monthly {months:,} (operator x county x month)")
        cur = conn.cursor()
        counties = [r[0] for r in conn.execute("SELECT county_code FROM permits_current GROUP BY 1 ORDER BY count(*) DESC LIMIT 3")]
        districts = [r[0] for r in conn.execute("SELECT district FROM permits_current GROUP BY 1 ORDER BY count(*) DESC LIMIT 2")]
        print("| place | permits in period | operators | aggregate p50 / p95 | from the permits p50 / p95 | ratio (p50) |")
        print("|---|---:|---:|---:|---:|---:|")
        for kind, values in (("county", counties), ("district", districts)):
            for v in values:
                for (start, end), words in PERIODS.items():
                    s = compare.scope(**{"county": None, "district": None, "aoi": None, kind: v}, start=start, end=end, today=TODAY)
                    ranked = compare.rank(cur, s, today=TODAY, limit=50)
                    assert ranked == compare.rank(cur, s, today=TODAY, limit=50, source="permits")
                    n = sum(r["permits"] for r in compare.rank(cur, s, today=TODAY, limit=100_000))
                    agg, raw = paired_timings(lambda s=s: compare.rank(cur, s, today=TODAY, limit=50),
                                              lambda s=s: compare.rank(cur, s, today=TODAY, limit=50, source="permits"), args.runs)
                    print(f"| {compare.place_name(cur, s)}, {words} | {n:,} | {len(compare.rank(cur, s, today=TODAY, limit=100_000)):,} | "
                          f"{agg[0]:.1f} / {agg[1]:.1f} ms | {raw[0]:.1f} / {raw[1]:.1f} ms | {raw[0] / agg[0]:.1f}x |", flush=True)
        # A drawn area: a 20 x 20 km block around the densest z10 tile's permits, 1 km buffer.
        lon, lat = conn.execute("""SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c, count(*) AS n FROM permits_current
                                   WHERE geom IS NOT NULL GROUP BY ST_SnapToGrid(geom, 0.2) ORDER BY n DESC LIMIT 1) x""").fetchone()
        ws = conn.execute("INSERT INTO workspaces (name) VALUES ('bench operators') RETURNING id").fetchone()[0]
        aoi = conn.execute("""INSERT INTO aois (workspace_id, name, geom, buffer_meters) VALUES
                              (%s, 'bench block', ST_Multi(ST_Expand(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 0.1)), 1000) RETURNING id""",
                           (ws, lon, lat)).fetchone()[0]
        try:
            s = compare.scope(county=None, district=None, aoi=str(aoi), start=date(2026, 1, 1), end=date(2026, 12, 31), today=TODAY)
            n = sum(r["permits"] for r in compare.rank(cur, s, today=TODAY, limit=100_000))
            area = timings(lambda: compare.rank(cur, s, today=TODAY, limit=50), args.runs)
            print(f"| drawn area 20 x 20 km + 1 km buffer | {n:,} | | {area[0]:.1f} / {area[1]:.1f} ms (reads the permits) | | |")
        finally:
            conn.rollback()  # the bench workspace and its area go with it
    print("targets: county p95 < 150 ms, drawn area p95 < 300 ms, aggregate >= 10x faster than the permits")


if __name__ == "__main__":
    main()
