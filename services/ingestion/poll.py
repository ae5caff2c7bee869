"""Fetching the RRC's shares by themselves: list each share, take what is new, ingest it.

The listing decides: a file (or, for the pending share, a set of files with one
generation stamp) is new when no earlier run took that name with that "Modified On".
A poll therefore costs one small page when nothing changed. The file's "Modified On" is
the snapshot's publication time: freshness is measured from it.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from services.ingestion.godrive.client import GoDriveClient, Retry, unwrap
from services.ingestion.godrive.page import FileRow
from services.settings import Settings

log = logging.getLogger("permitwatch.poll")
_STAMP = re.compile(r"_(\d{14})(?:\.\w+)?$")
Say = Callable[[str], None]


@dataclass(frozen=True)
class Share:
    source: str      # the ingestion source (adapter) its files go to
    share_id: str
    pattern: str     # file names taken (shell pattern)
    sets: bool       # files come as sets sharing a generation stamp (the pending files)

    def label(self) -> str:
        return f"{self.source} (share {self.share_id[:8]}…, {self.pattern})"


@dataclass(frozen=True)
class Item:
    """What one ingestion run takes: one file, or one stamped set of files."""
    key: str                 # the file name, or the set's stamp
    rows: tuple[FileRow, ...]

    @property
    def published_at(self) -> datetime:
        return max(r.modified_at for r in self.rows)

    def origin(self, share: Share) -> dict:
        return {"share": share.share_id, "key": self.key, "files": [r.name for r in self.rows],
                "modified_at": self.published_at.isoformat(), "uri": f"godrive:{share.share_id}/{self.key}"}


def shares(settings: Settings) -> list[Share]:
    return [Share("rrc_daf420", settings.rrc_daily_share, settings.rrc_daily_pattern, sets=False),
            Share("rrc_pending", settings.rrc_pending_share, settings.rrc_pending_pattern, sets=True)]


def client(settings: Settings) -> GoDriveClient:
    return GoDriveClient(settings.rrc_godrive_url, timeout=settings.godrive_timeout_seconds,
                         retry=Retry(settings.godrive_attempts, settings.godrive_backoff_seconds))


# ---- PURE decisions ----------------------------------------------------------------------

def items(rows: list[FileRow], share: Share) -> list[Item]:
    """The share's candidates, oldest publication first. A single-file share offers its
    newest matching file; a set share offers every complete stamp."""
    taken = [r for r in rows if fnmatch.fnmatch(r.name, share.pattern)]
    if not share.sets:
        newest = max(taken, key=lambda r: (r.modified_at, r.name), default=None)
        return [Item(newest.name, (newest,))] if newest else []
    groups: dict[str, list[FileRow]] = {}
    for r in taken:
        m = _STAMP.search(r.name)
        if m:
            groups.setdefault(m.group(1), []).append(r)
    return [Item(stamp, tuple(sorted(g, key=lambda r: r.name))) for stamp, g in sorted(groups.items())]


def new_items(candidates: list[Item], taken: dict[str, str]) -> list[Item]:
    """Candidates no run took yet (`taken`: key -> the "Modified On" it had), and never one
    older than the newest taken: a share that rolls back does not replay old news. (Equal is
    not older: two sets published in the same second are both new.)"""
    newest_taken = max(taken.values(), default=None)
    out = []
    for item in candidates:
        at = item.published_at.isoformat()
        if taken.get(item.key) == at:
            continue
        if newest_taken is not None and at < newest_taken:
            continue
        out.append(item)
    return out


# ---- I/O ---------------------------------------------------------------------------------

def taken_keys(conn: psycopg.Connection, source: str) -> dict[str, str]:
    """What runs took from a share (promoted, refused by QA or skipped as unchanged: all
    count; a run that crashed recorded nothing and is retried)."""
    rows = conn.execute("""SELECT cursor->'origin'->>'key', max(cursor->'origin'->>'modified_at') FROM ingestion_runs
                           WHERE source = %s AND cursor ? 'origin' GROUP BY 1""", (source,)).fetchall()
    return {k: v for k, v in rows if k}


# Freshness as users see it, for a source's newest run: the RRC's publication, our fetch (the
# run's start), the ingest commit, the first alert evaluated from it and the first delivery.
LAST_SQL = """
SELECT r.source_uri, r.snapshot_at, r.status, r.started_at, r.finished_at, r.cursor->'origin',
       (SELECT min(e.triggered_at) FROM alert_events e JOIN permit_changes c ON c.id = e.permit_change_id WHERE c.ingestion_run_id = r.id),
       (SELECT min(x.at) FROM (SELECT o.sent_at AS at FROM notification_outbox o JOIN alert_events e ON e.id = o.alert_event_id
                               JOIN permit_changes c ON c.id = e.permit_change_id WHERE c.ingestion_run_id = r.id AND o.sent_at IS NOT NULL
                               UNION ALL
                               SELECT n.created_at FROM notifications n JOIN alert_events e ON e.id = n.alert_event_id
                               JOIN permit_changes c ON c.id = e.permit_change_id WHERE c.ingestion_run_id = r.id) x)
FROM ingestion_runs r
WHERE r.source = %s AND r.status <> 'running' AND (r.promoted OR r.cursor ? 'origin')
ORDER BY r.snapshot_at DESC NULLS LAST, r.started_at DESC LIMIT 1
"""


def last_ingested(conn: psycopg.Connection, source: str) -> dict | None:
    """Needs the worker role: alert events of every workspace (counted, never shown)."""
    row = conn.execute(LAST_SQL, (source,)).fetchone()
    if row is None:
        return None
    keys = ("uri", "published_at", "status", "fetched_at", "finished_at", "origin", "first_evaluated_at", "first_delivered_at")
    return dict(zip(keys, row, strict=True))


def check(settings: Settings) -> list[dict]:
    """Per share: what it lists now beside what was last ingested (`sources check`)."""
    gd = client(settings)
    out = []
    with psycopg.connect(settings.worker_database_url) as conn:
        for share in shares(settings):
            entry: dict = {"source": share.source, "share": share.share_id, "pattern": share.pattern,
                           "last_ingested": last_ingested(conn, share.source)}
            try:
                rows = gd.files(share.share_id)
            except Exception as exc:  # noqa: BLE001 -- reported per share, the other share still checked
                entry["error"] = f"{type(exc).__name__}: {exc}"
                out.append(entry)
                continue
            cands = items(rows, share)
            entry["listed_files"] = len(rows)
            entry["newest"] = ({"key": cands[-1].key, "published_at": cands[-1].published_at,
                                "files": [f"{r.name} ({r.size_text})" for r in cands[-1].rows]} if cands else None)
            entry["waiting"] = [i.key for i in new_items(cands, taken_keys(conn, share.source))]
            out.append(entry)
    return out


def poll(settings: Settings, *, only: str | None = None, share_id: str | None = None, pattern: str | None = None,
         say: Say = log.info, progress=None) -> list:
    """One poll of every share (or `only` one source, optionally at another share id or
    file pattern, as an IngestionSource says): ingest what is new, oldest first."""
    from services.ingestion.pipeline import ingest

    gd = client(settings)
    results = []
    for share in shares(settings):
        if only and share.source != only:
            continue
        share = Share(share.source, share_id or share.share_id, pattern or share.pattern, share.sets)
        with psycopg.connect(settings.database_url) as conn:
            taken = taken_keys(conn, share.source)
        todo = new_items(items(gd.files(share.share_id), share), taken)
        if not todo:
            say(f"{share.label()}: nothing new")
        for item in todo:
            say(f"{share.label()}: {item.key} published {item.published_at:%Y-%m-%d %H:%M} UTC; fetching")
            path = fetch_item(gd, share, item, settings.data_dir / "downloads")
            kwargs = {"progress": progress} if progress else {}
            results.append(ingest(settings, str(path), source=share.source, seen_at=item.published_at,
                                  origin=item.origin(share), **kwargs))
    return results


def fetch_item(gd: GoDriveClient, share: Share, item: Item, download_dir: Path) -> Path:
    """Download an item; a set becomes one ZIP of its files (unwrapped from any envelope)."""
    files: list[tuple[str, Path]] = []
    for row in item.rows:
        sf = gd.download(share.share_id, row.name, download_dir)
        inner = unwrap(sf, download_dir)
        files.extend(inner if len(inner) > 1 or inner[0][1] != sf.path else [(row.name, sf.path)])
    if not share.sets:
        return files[0][1]
    bundle = download_dir / f"set-{share.source}-{item.key}.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in sorted(files):
            # A fixed member time: the same set gives the same bytes, so the same hash.
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), path.read_bytes(), zipfile.ZIP_DEFLATED)
    return bundle
