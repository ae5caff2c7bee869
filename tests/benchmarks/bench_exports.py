"""Export benchmark at 1,000,000 permits (a script that prints figures, not a test).

Uses the 1M-permit database the web benchmark keeps (`permitwatch_bench_web`, loaded once,
migrated to the current schema here). For each format, an export job of every permit (the
default columns plus provenance) is asked for as a workspace would, then run by
`services.exports.jobs.run` in a child process, timed, with the child's peak memory. The
reference, measured in the same run: PostgreSQL's own `COPY (the export's query) TO STDOUT`
streamed to a file by psql. While the CSV export runs, the locks its connection holds are
sampled from pg_locks.

Usage:  .venv/bin/python tests/benchmarks/bench_exports.py [--formats csv xlsx] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services import localstack  # noqa: E402
from services.db.engine import set_tenant  # noqa: E402
from services.exports import jobs  # noqa: E402
from services.settings import Settings  # noqa: E402
from tests.benchmarks.bench_web import ensure_data  # noqa: E402

CHILD = """
import resource, sys, time, uuid
from services.exports import jobs
from services.settings import get_settings
t = time.perf_counter()
status = jobs.run(get_settings(), uuid.UUID(sys.argv[1]), uuid.UUID(sys.argv[2]))
print(status, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def settings_for(child: dict, data_dir: Path) -> Settings:
    return Settings(_env_file=None, database_url=child["PERMITWATCH_DATABASE_URL"], database_owner_url=child["PERMITWATCH_DATABASE_OWNER_URL"],
                    redis_url=child["PERMITWATCH_REDIS_URL"], secret_key=child["PERMITWATCH_SECRET_KEY"], data_dir=data_dir)


def ask(settings: Settings, owner_url: str, fmt: str) -> tuple[uuid.UUID, uuid.UUID]:
    with psycopg.connect(owner_url) as conn:
        user = conn.execute("INSERT INTO users (email, password_hash) VALUES (%s, 'x') RETURNING id",
                            (f"bench-{uuid.uuid4().hex[:8]}@example.com",)).fetchone()[0]
        ws = conn.execute("INSERT INTO workspaces (name) VALUES ('bench exports') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'owner')", (ws, user))
        # many exports a day, as a WorkspaceQuota would allow
        conn.execute("INSERT INTO workspace_quotas (workspace_id, exports_per_day) VALUES (%s, 10000)", (ws,))
    with psycopg.connect(settings.database_url) as conn, conn.transaction():
        cur = conn.cursor()
        set_tenant(cur, ws, user)
        job = jobs.create(cur, settings, ws, user, kind="permits", fmt=fmt, columns=None, search_params={}, watchlist_id=None, operator_id=None)
    return job, ws


def copy_reference(settings: Settings, job: uuid.UUID, out: Path) -> tuple[float, int]:
    with psycopg.connect(settings.database_owner_url) as conn:
        spec = conn.execute("SELECT params FROM export_jobs WHERE id = %s", (job,)).fetchone()[0]
        sql, params = jobs.permits_sql(spec, geo=False)
        query = psycopg.ClientCursor(conn).mogrify(sql, params)
    t = time.perf_counter()
    with out.open("wb") as fh:
        subprocess.run(["psql", settings.database_owner_url, "-X", "-q", "-c", f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)"],
                       stdout=fh, check=True)
    return time.perf_counter() - t, out.stat().st_size


def sample_locks(owner_url: str, stop: threading.Event, seen: set) -> None:
    with psycopg.connect(owner_url, autocommit=True) as conn:
        while not stop.is_set():
            # tables only (an index is locked with its table), partitions counted as their parent
            for mode, rel in conn.execute("""SELECT l.mode, coalesce(p.relname, c.relname) FROM pg_locks l
                                             JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_class c ON c.oid = l.relation
                                             LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent
                                             WHERE a.application_name = 'permitwatch-export' AND l.granted AND c.relkind IN ('r', 'p')"""):
                seen.add((mode, rel))
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    env = localstack.up()
    child = ensure_data(env)
    subprocess.run([sys.executable, "-m", "services", "db", "upgrade"], env=child, check=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    settings = settings_for(child, tmp / "data")
    child_env = {**child, "PERMITWATCH_DATA_DIR": str(tmp / "data"), "PERMITWATCH_EXPORT_DEFAULT_PER_DAY": "10000"}
    with psycopg.connect(settings.database_owner_url) as conn:
        total = conn.execute("SELECT count(*) FROM permits_current").fetchone()[0]
    print(f"{total:,} permits; each export: every permit, the default 15 columns plus 4 of provenance", flush=True)
    print("| format | run | rows | export | rows/s | peak memory | COPY TO STDOUT (same query) | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    locks: set = set()
    for fmt in args.formats:
        for run in range(1, args.runs + 1):
            job, ws = ask(settings, settings.database_owner_url, fmt)
            ref, size = copy_reference(settings, job, tmp / "copy.csv")
            stop = threading.Event()
            sampler = threading.Thread(target=sample_locks, args=(settings.database_owner_url, stop, locks), daemon=True)
            sampler.start()
            out = subprocess.run([sys.executable, "-c", CHILD, str(job), str(ws)], env=child_env, capture_output=True, text=True,
                                 cwd=ROOT, check=True)
            stop.set()
            sampler.join()
            status, seconds, rss_kb = out.stdout.split()[-3:]
            assert status == "completed", out.stdout + out.stderr
            seconds = float(seconds)
            with psycopg.connect(settings.database_owner_url) as conn:
                rows, nbytes = conn.execute("SELECT row_count, size_bytes FROM export_jobs WHERE id = %s", (job,)).fetchone()
                conn.execute("DELETE FROM workspaces WHERE id = %s", (ws,))
            print(f"| {fmt} | {run} | {rows:,} | {seconds:.1f} s ({nbytes / 1e6:,.0f} MB) | {rows / seconds:,.0f} | {int(rss_kb) / 1024:,.0f} MB | "
                  f"{ref:.1f} s ({size / 1e6:,.0f} MB) | {seconds / ref:.2f}x |", flush=True)
    print("locks the export connection held (tables):", json.dumps(sorted(locks)))
    print("targets: CSV >= 50,000 rows/s and <= 2x COPY; XLSX >= 15,000 rows/s; peak memory < 300 MB")
    (tmp / "copy.csv").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
