"""Writing generated daily files to a folder (the I/O around the pure generator).

A manifest records the parameters; asking again for the same data set rewrites nothing,
so the run command stays fast and its files keep their bytes (and their hashes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import psycopg

from services.ingestion.fetch import open_source, snapshot_date
from services.ingestion.generator import Universe, business_days, first_business_day
from services.reference.sampling import CountySampler
from services.settings import REPO_ROOT, Settings

MANIFEST = "manifest.json"
DEMO_DIR = REPO_ROOT / "demo-data"
# The local stack's demo: two months of business days, all but the last ingested by `up`.
DEMO_START = date(2026, 6, 1)
DEMO_SPAN_DAYS = 61


def write_demo(out: Path, *, seed: int, permits: int, start: date, days: int, weekends: bool = False,
               only_last: bool = False, progress: Callable[[int, int], None] | None = None) -> list[Path]:
    params = {"seed": seed, "permits": permits, "start": start.isoformat(), "days": days,
              "weekends": weekends, "only_last": only_last, "generator": 2}
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    if manifest.exists() and json.loads(manifest.read_text()).get("params") == params:
        files = [out / f for f in json.loads(manifest.read_text())["files"]]
        if all(f.exists() for f in files):
            return files
    universe = Universe(seed, permits, start, days, CountySampler(seed).sample)
    # On a month's first business day RRC still serves the previous month; before the
    # universe's first month there is nothing to serve, so no file is written.
    days_list = [d for d in business_days(start, universe.end) if not (d == first_business_day(d) and d <= start)]
    if only_last:
        days_list = days_list[-1:]
    # Small universes are built once and reused for every day; large ones stream.
    cached = list(universe.all_permits()) if permits <= 200_000 and len(days_list) > 1 else None
    files = []
    for n, day in enumerate(days_list, 1):
        path = out / f"daf420-{day.isoformat()}.dat"
        _write(path, universe.snapshot(day, cached))
        files.append(path)
        if weekends and day.weekday() == 4:  # RRC's weekend downloads repeat Friday's bytes
            for extra in (1, 2):
                copy = out / f"daf420-{(day + timedelta(days=extra)).isoformat()}.dat"
                copy.write_bytes(path.read_bytes())
                files.append(copy)
        if progress:
            progress(n, len(days_list))
    manifest.write_text(json.dumps({"params": params, "files": [f.name for f in files]}, indent=1))
    return files


def _write(path: Path, records) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="latin-1", newline="\n") as fh:
        for lines in records:
            fh.write("\n".join(lines))
            fh.write("\n")
    os.replace(tmp, path)


def demo_days(folder: Path = DEMO_DIR) -> list[date]:
    """The snapshot days of the daily files in a demo folder, oldest first."""
    return sorted(d.date() for d in (snapshot_date(p.name) for p in folder.glob("daf420-*.dat")) if d)


def next_demo_file(settings: Settings, folder: Path = DEMO_DIR) -> Path | None:
    """The oldest demo file whose bytes were never promoted; None when every day is in."""
    with psycopg.connect(settings.database_url) as conn:
        done = {r[0] for r in conn.execute("SELECT file_sha256 FROM ingestion_runs WHERE promoted")}
    for day in demo_days(folder):
        path = folder / f"daf420-{day.isoformat()}.dat"
        if open_source(str(path), settings.data_dir).sha256 not in done:
            return path
    return None


def publish(settings: Settings, path: Path, name: str = "daf420.dat") -> Path:
    """Put a daily file on the local GoDrive daily share, as the RRC publishes it: under
    its share name, "Modified On" now. Atomic, so a listing never sees half a file."""
    folder = settings.godrive_root / settings.rrc_daily_share
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.part"
    tmp.write_bytes(path.read_bytes())
    os.replace(tmp, folder / name)
    return folder / name


def run_for(settings: Settings, sha256: str) -> dict | None:
    """The finished run that took a file's bytes, if any."""
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute("""SELECT id, status, promoted, snapshot_at, metrics FROM ingestion_runs
                              WHERE file_sha256 = %s AND status <> 'running' ORDER BY started_at DESC LIMIT 1""", (sha256,)).fetchone()
    return None if row is None else {"id": row[0], "status": row[1], "promoted": row[2], "published_at": row[3], "metrics": row[4]}

