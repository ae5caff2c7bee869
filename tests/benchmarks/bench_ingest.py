"""Ingest throughput benchmark (a script that prints figures, not a test).

For each size: a generated daf420 file with N permits (cached under .local/bench), a fresh
database, then three runs of `permitwatch ingest file` as child processes, each timed
with its peak resident memory (wait4's ru_maxrss):

  first    the first load, end to end (parse, stage, QA, raw layer, promote, commit)
  same     the same file again: recognised by its SHA-256 and skipped
  forced   the same file again with --force: every record parsed, hashed and compared,
           nothing written (the record-level idempotency path)

Usage:  .venv/bin/python tests/benchmarks/bench_ingest.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services import localstack  # noqa: E402
from services.db import migrate  # noqa: E402
from services.ingestion.demo import write_demo  # noqa: E402

BENCH = ROOT / ".local" / "bench"


def _with_db(url: str, db: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + db


def fresh_database(env: dict[str, str], name: str) -> dict[str, str]:
    server = _with_db(env["PERMITWATCH_ADMIN_DATABASE_URL"], "postgres")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER permitwatch_owner").format(sql.Identifier(name)))
    localstack.prepare_database(_with_db(env["PERMITWATCH_ADMIN_DATABASE_URL"], name))
    return reused_database(env, name)


def reused_database(env: dict[str, str], name: str) -> dict[str, str]:
    """The child environment for an existing benchmark database, migrated to head."""
    migrate.upgrade(_with_db(env["PERMITWATCH_DATABASE_OWNER_URL"], name))
    child = {k: v for k, v in os.environ.items() if not k.startswith("PERMITWATCH_")}
    child.update({"PERMITWATCH_DATABASE_URL": _with_db(env["PERMITWATCH_DATABASE_URL"], name),
                  "PERMITWATCH_DATABASE_OWNER_URL": _with_db(env["PERMITWATCH_DATABASE_OWNER_URL"], name),
                  "PERMITWATCH_REDIS_URL": env["PERMITWATCH_REDIS_URL"], "PERMITWATCH_DATA_DIR": str(BENCH / "data")})
    return child


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        print(proc.stderr.read().decode()[-3000:], file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, proc.returncode


def bench(size: int, env: dict[str, str]) -> dict:
    print(f"\n== {size:,} permits", flush=True)
    folder = BENCH / f"p{size}"
    t0 = time.perf_counter()
    (path,) = write_demo(folder, seed=1, permits=size, start=date(2026, 7, 1), days=30, only_last=True)
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.0f} MB (generated or reused in {time.perf_counter() - t0:.1f} s)", flush=True)
    child = fresh_database(env, f"permitwatch_bench_{size}")
    cmd = [sys.executable, "-m", "services", "ingest", "file", str(path)]
    out = {"permits": size, "file_mb": round(path.stat().st_size / 1e6, 1)}
    for label, extra in (("first", []), ("same", []), ("forced", ["--force"])):
        seconds, rss, code = timed(cmd + extra, child)
        if code not in (0,):
            raise SystemExit(f"{label} run failed with exit code {code}")
        out[label] = {"seconds": round(seconds, 2), "peak_rss_mb": round(rss), "permits_per_s": round(size / seconds)}
        print(f"{label:>7}: {seconds:8.2f} s  {size / seconds:10,.0f} permits/s  peak RSS {rss:6.0f} MB", flush=True)
    with psycopg.connect(child["PERMITWATCH_DATABASE_URL"]) as conn:
        out["timings_first"] = conn.execute(
            "SELECT metrics->'timings' FROM ingestion_runs WHERE promoted ORDER BY started_at LIMIT 1").fetchone()[0]
        out["rows"] = dict(zip(("permits", "versions", "changes", "raw"), conn.execute(
            "SELECT (SELECT count(*) FROM permits), (SELECT count(*) FROM permit_versions), "
            "(SELECT count(*) FROM permit_changes), (SELECT count(*) FROM permit_raw_records)").fetchone(), strict=True))
    out["same_speedup"] = round(out["first"]["seconds"] / out["same"]["seconds"], 1)
    out["forced_speedup"] = round(out["first"]["seconds"] / out["forced"]["seconds"], 1)
    print(f"phases of the first load: {out['timings_first']}")
    print(f"rows: {out['rows']}")
    print(f"unchanged file: {out['same_speedup']}x faster than the first load (hash skip); "
          f"{out['forced_speedup']}x with --force (record-level check)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    args = parser.parse_args()
    env = localstack.up()
    print(f"machine: {os.cpu_count()} cores; PostgreSQL and Redis of the local stack; python {sys.version.split()[0]}")
    results = [bench(size, env) for size in args.sizes]
    BENCH.mkdir(parents=True, exist_ok=True)
    (BENCH / "ingest-results.json").write_text(json.dumps(results, indent=1))
    if not args.keep:
        with psycopg.connect(_with_db(env["PERMITWATCH_ADMIN_DATABASE_URL"], "postgres"), autocommit=True) as conn:
            for size in args.sizes:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(f"permitwatch_bench_{size}")))
    print(f"\nresults: {BENCH / 'ingest-results.json'}")


if __name__ == "__main__":
    main()
