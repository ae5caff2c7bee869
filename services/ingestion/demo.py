"""Writing generated daily files to a folder (the I/O around the pure generator).

A manifest records the parameters; asking again for the same data set rewrites nothing,
so the run command stays fast and its files keep their bytes (and their hashes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import psycopg

from services.ingestion.fetch import open_source, snapshot_date
from services.ingestion.generator import Universe, business_days, first_business_day
from services.ingestion.pending_generator import RRC_TZ, render_set, sets_for_day
from services.reference.sampling import CountySampler
from services.settings import REPO_ROOT, Settings

MANIFEST = "manifest.json"
PENDING_DIR = "pending"  # one folder per pending set, named by its generation stamp
DEMO_DIR = REPO_ROOT / "demo-data"
# The local stack's demo: two months of business days, all but the last ingested by `up`.
DEMO_START = date(2026, 6, 1)
DEMO_SPAN_DAYS = 61


def write_demo(out: Path, *, seed: int, permits: int, start: date, days: int, weekends: bool = False,
               only_last: bool = False, progress: Callable[[int, int], None] | None = None) -> list[Path]:
    params = {"seed": seed, "permits": permits, "start": start.isoformat(), "days": days,
              "weekends": weekends, "only_last": only_last, "generator": 3}
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
        _write_pending(out / PENDING_DIR, universe, day, cached)
        if progress:
            progress(n, len(days_list))
    manifest.write_text(json.dumps({"params": params, "files": [f.name for f in files]}, indent=1))
    return files


def _write_pending(folder: Path, universe: Universe, day: date, cached) -> None:
    """The day's pending-approval sets (11:08 and 17:08), one folder per generation stamp."""
    for at, apps in sets_for_day(universe, day, cached if cached is not None else universe.all_permits()):
        files = render_set(universe, at, apps)
        target = folder / at.strftime("%Y%m%d%H%M%S")
        target.mkdir(parents=True, exist_ok=True)
        for name, lines in files.items():
            (target / name).write_text("\n".join(lines) + "\n", encoding="latin-1")


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


def taken(settings: Settings, daily: Path, pending_files: list[Path]) -> dict:
    """Whether the watcher has taken a published day: the daily file's run (by its hash)
    and each pending set's run (by its stamp), finished."""
    sha = open_source(str(daily), settings.data_dir).sha256
    stamps = sorted({p.name.rsplit("_", 1)[-1].split(".")[0] for p in pending_files})
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute("""SELECT DISTINCT ON (coalesce(cursor->'origin'->>'key', file_sha256)) id, source, status, promoted,
                                      snapshot_at, metrics, coalesce(cursor->'origin'->>'key', file_sha256)
                               FROM ingestion_runs WHERE status <> 'running' AND (file_sha256 = %s
                                 OR (source = 'rrc_pending' AND cursor->'origin'->>'key' = ANY(%s)))
                               ORDER BY coalesce(cursor->'origin'->>'key', file_sha256), started_at DESC""", (sha, stamps)).fetchall()
    runs = [{"id": r[0], "source": r[1], "status": r[2], "promoted": r[3], "published_at": r[4], "metrics": r[5]} for r in rows]
    return {"done": len(runs) == 1 + len(stamps), "runs": sorted(runs, key=lambda r: r["published_at"])}


@dataclass(frozen=True)
class Item:
    """One thing the RRC published in the demo: a daily file or a pending set."""
    at: datetime
    source: str
    path: Path


def published(folder: Path = DEMO_DIR) -> list[Item]:
    """Daily files (at their day, as their names say) and pending sets (at their stamp), in
    publication order: a filing's set comes before the daily file that approves it."""
    items = [Item(datetime.combine(d, time(0), UTC), "rrc_daf420", folder / f"daf420-{d.isoformat()}.dat") for d in demo_days(folder)]
    for sub in sorted((folder / PENDING_DIR).glob("*")) if (folder / PENDING_DIR).is_dir() else []:
        if sub.is_dir() and sub.name.isdigit():
            at = datetime.strptime(sub.name, "%Y%m%d%H%M%S").replace(tzinfo=RRC_TZ).astimezone(UTC)
            items.append(Item(at, "rrc_pending", sub))
    return sorted(items, key=lambda i: (i.at, i.source))


def load_history(settings: Settings, items: list[Item], on_result: Callable[[Item, object], None] | None = None) -> list:
    """Ingest what was published before the demo's last day, as history (notifying nobody),
    in publication order; done items are skipped by their hashes."""
    from services.ingestion.pipeline import ingest

    results = []
    for item in items:
        result = ingest(settings, str(item.path), source=item.source, seen_at=item.at, history=True)
        results.append(result)
        if on_result:
            on_result(item, result)
    return results


def publish_day(settings: Settings, day: date, folder: Path = DEMO_DIR) -> list[Path]:
    """Put a demo day on the local GoDrive shares as the RRC would: its daily file, and its
    pending sets (files named with their stamps), all "Modified On" now."""
    shared = [publish(settings, folder / f"daf420-{day.isoformat()}.dat")]
    target = settings.godrive_root / settings.rrc_pending_share
    target.mkdir(parents=True, exist_ok=True)
    for sub in sorted((folder / PENDING_DIR).glob(f"{day:%Y%m%d}*")):
        for f in sorted(sub.iterdir()):
            tmp = target / f".{f.name}.part"
            tmp.write_bytes(f.read_bytes())
            os.replace(tmp, target / f.name)
            shared.append(target / f.name)
    return shared

