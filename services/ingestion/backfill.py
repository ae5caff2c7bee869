"""Backfill: every file of a folder (or a date range of it), oldest snapshot first.

Each file is its own run and its own batch, so a backfill interrupted anywhere resumes by
running it again: files already ingested are skipped as unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from services.ingestion.fetch import snapshot_date
from services.ingestion.pipeline import Progress, RunResult, ingest
from services.settings import Settings

SUFFIXES = (".dat", ".gz", ".zip", ".txt")


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    snapshot: date


def plan(folder: Path, start: date | None = None, end: date | None = None) -> tuple[list[PlannedFile], list[Path]]:
    """(files to ingest in snapshot order, files skipped because no date is in the name)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder")
    planned, undated = [], []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or not path.name.lower().endswith(SUFFIXES):
            continue
        when = snapshot_date(path.name)
        if when is None:
            undated.append(path)
            continue
        if (start and when.date() < start) or (end and when.date() > end):
            continue
        planned.append(PlannedFile(path, when.date()))
    planned.sort(key=lambda p: (p.snapshot, p.path.name))
    return planned, undated


def plan_files(paths: list[Path]) -> list[PlannedFile]:
    """Named files, in snapshot order; each name must carry its date."""
    planned = []
    for path in paths:
        when = snapshot_date(path.name)
        if when is None:
            raise ValueError(f"{path.name}: no date in the name (use `ingest file --seen-at`)")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        planned.append(PlannedFile(path, when.date()))
    return sorted(planned, key=lambda p: (p.snapshot, p.path.name))


def run(settings: Settings, files: list[PlannedFile], *, source: str, force: bool = False,
        progress: Progress | None = None, on_result: Callable[[PlannedFile, RunResult], None] | None = None) -> list[RunResult]:
    results = []
    for planned in files:
        # A backfill is history: its changes are recorded, and notify nobody.
        result = ingest(settings, str(planned.path), source=source, force=force, history=True,
                        **({"progress": progress} if progress else {}))
        results.append(result)
        if on_result:
            on_result(planned, result)
    return results


def progress(conn, source: str, since: datetime, start: date | None = None, end: date | None = None,
             files: tuple[str, ...] = ()) -> dict:
    """What a backfill has done since it started: runs finished for its days (or its
    files), the failed ones, and the permits the promoted runs carried."""
    where = "snapshot_at::date BETWEEN %(start)s AND %(end)s" if start else "source_uri = ANY(%(files)s)"
    row = conn.execute(f"""SELECT count(*) FILTER (WHERE status <> 'running'), count(*) FILTER (WHERE status = 'failed'),
                                  coalesce(sum((metrics->>'permits')::int) FILTER (WHERE promoted), 0)
                           FROM ingestion_runs WHERE source = %(source)s AND started_at >= %(since)s AND {where}""",
                       {"source": source, "since": since, "start": start, "end": end, "files": list(files)}).fetchone()
    return {"files": row[0], "files_failed": row[1], "permits": row[2]}
