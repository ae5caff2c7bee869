"""One ingestion run: fetch -> stage -> QA gates -> raw layer -> promote -> record.

The run row is committed first (so a run in progress is visible); everything else is ONE
transaction, the batch: a crash or kill anywhere leaves either the whole batch or none of
it, and the next run of the source marks the dead run as abandoned. Runs of one source
are serialized by an advisory lock.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from services.ingestion import store
from services.ingestion.fetch import open_source, snapshot_date
from services.ingestion.filings import after_daily_run, after_pending_run
from services.ingestion.freshness import is_history
from services.ingestion.qa import Check, RunStats, evaluate
from services.ingestion.sources.base import get_adapter
from services.ingestion.sources.pending import SOURCE as PENDING
from services.ingestion.versioning import decide
from services.operators import stats as operator_stats
from services.operators.identity import resolve_rrc_operators
from services.permits import grid, wells
from services.settings import Settings

Progress = Callable[[str, int, int | None], None]
log = logging.getLogger("permitwatch.ingest")
_dumps = store._dumps


class IngestError(RuntimeError):
    def __init__(self, message: str, run_id: uuid.UUID | None = None):
        super().__init__(message)
        self.run_id = run_id


@dataclass
class RunResult:
    run_id: uuid.UUID
    source: str
    uri: str
    status: str  # success | warning | failed | skipped
    promoted: bool
    snapshot_at: datetime
    metrics: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    reason: str | None = None


def _noop(phase: str, done: int, total: int | None) -> None:
    pass


def ingest(settings: Settings, uri: str, *, source: str = "rrc_daf420", seen_at: datetime | None = None,
           force: bool = False, progress: Progress = _noop, origin: dict | None = None,
           history: bool | None = None) -> RunResult:
    """`history` True records the changes without notifying anyone (backfills); None
    decides by the source's first load and the snapshot's age (`freshness.is_history`).
    `origin` says where a fetched file came from (its share, name and "Modified On");
    it is kept in the run's cursor, so the next poll knows what was already taken."""
    adapter = get_adapter(source)
    sf = open_source(uri, settings.data_dir / "downloads")
    uri = (origin or {}).get("uri", uri)
    snapshot = seen_at or snapshot_date(uri) or datetime.now(UTC)
    with psycopg.connect(settings.database_url) as conn:
        _lock_source(conn, source)
        skip = None if force else _skip_reason(conn, source, sf.sha256, snapshot)
        if skip:
            return _record_skip(conn, source, uri, sf.sha256, snapshot, skip, origin)
        _ensure_partitions(conn, snapshot)
        if history is None:
            first = conn.execute("SELECT NOT EXISTS (SELECT 1 FROM ingestion_runs WHERE source = %s AND promoted)", (source,)).fetchone()[0]
            history = is_history(first_load=first, published_at=snapshot, now=datetime.now(UTC),
                                 after=timedelta(hours=settings.history_after_hours))
        run_id = _start_run(conn, source, uri, sf.sha256, snapshot, history)
        try:
            return _batch(conn, settings, adapter, sf, source, run_id, snapshot, progress, origin, history)
        except BaseException as exc:
            conn.rollback()
            _fail_run(conn, run_id, f"{type(exc).__name__}: {exc}")
            if isinstance(exc, Exception):
                raise IngestError(f"run {run_id} failed: {exc}", run_id) from exc
            raise


def _lock_source(conn: psycopg.Connection, source: str) -> None:
    conn.execute("SET lock_timeout = '120s'")
    conn.execute("SELECT pg_advisory_lock(hashtext('permitwatch.ingest:' || %s))", (source,))
    # Holding the lock, any run still marked running is dead: its batch never committed.
    conn.execute("""UPDATE ingestion_runs SET status = 'failed', finished_at = now(),
                    error = 'abandoned: the process ended before its batch committed; nothing of it was kept'
                    WHERE source = %s AND status = 'running'""", (source,))
    conn.commit()


def _ensure_partitions(conn: psycopg.Connection, snapshot: datetime) -> None:
    """The quarter's version partition (and the next), in a short transaction of its own:
    DDL inside the batch would hold its lock for the whole batch."""
    conn.execute("SELECT ensure_permit_version_partition(%s), ensure_permit_version_partition(%s + interval '3 months')",
                 (snapshot, snapshot))
    conn.commit()


def _skip_reason(conn: psycopg.Connection, source: str, sha256: str, snapshot: datetime) -> str | None:
    row = conn.execute("SELECT id FROM ingestion_runs WHERE source = %s AND promoted AND file_sha256 = %s LIMIT 1",
                       (source, sha256)).fetchone()
    if row:
        return f"unchanged: the same file was already ingested by run {row[0]}"
    row = conn.execute("SELECT max(snapshot_at) FROM ingestion_runs WHERE source = %s AND promoted", (source,)).fetchone()
    if row[0] is not None and snapshot < row[0]:
        return (f"out of order: snapshot {snapshot.date()} is older than the last ingested snapshot "
                f"{row[0].date()}; use --force to ingest it anyway")
    return None


def _record_skip(conn, source, uri, sha256, snapshot, reason, origin) -> RunResult:
    run_id = uuid.uuid4()
    conn.execute("""INSERT INTO ingestion_runs (id, source, status, source_uri, file_sha256, snapshot_at, finished_at, metrics, cursor, error)
                    VALUES (%s, %s, 'skipped', %s, %s, %s, now(), %s, %s, NULL)""",
                 (run_id, source, uri, sha256, snapshot, _dumps({"skipped": reason}),
                  _dumps({"origin": origin}) if origin else None))
    conn.commit()
    return RunResult(run_id, source, uri, "skipped", False, snapshot, {"skipped": reason}, reason=reason)


def _start_run(conn, source, uri, sha256, snapshot, history) -> uuid.UUID:
    run_id = uuid.uuid4()
    conn.execute("INSERT INTO ingestion_runs (id, source, status, source_uri, file_sha256, snapshot_at, history) "
                 "VALUES (%s, %s, 'running', %s, %s, %s, %s)", (run_id, source, uri, sha256, snapshot, history))
    conn.commit()
    return run_id


def _fail_run(conn: psycopg.Connection, run_id: uuid.UUID, error: str) -> None:
    try:
        conn.execute("UPDATE ingestion_runs SET status = 'failed', finished_at = now(), error = %s WHERE id = %s",
                     (error[:4000], run_id))
        conn.commit()
    except psycopg.Error:
        pass  # the connection itself is gone; the next run marks this one abandoned


def _counted(items: Iterator, stats: RunStats, progress: Progress, total: int | None) -> Iterator:
    for n, item in enumerate(items, 1):
        stats.observe(item)
        if n % 5000 == 0:
            progress("parse", stats.records, total)
        yield item
    progress("parse", stats.records, total)


def _batch(conn, settings: Settings, adapter, sf, source, run_id, snapshot, progress, origin, history) -> RunResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cur = conn.cursor()
    stats = RunStats(incremental=getattr(adapter, "incremental", False))
    store.create_stage(cur)
    if hasattr(adapter, "read"):  # a source read whole (a set of joined tables)
        store.copy_stage(cur, store.stage_rows(_counted(adapter.read(sf.path), stats, progress, None)))
    else:
        with sf.lines(getattr(adapter, "zip_members", ())) as lines:
            store.copy_stage(cur, store.stage_rows(_counted(adapter.records(lines), stats, progress, None)))
    stats.outside_county = store.flag_outside_county(cur, settings.qa.county_tolerance_m)
    timings["stage_s"] = time.perf_counter() - t0

    cur.execute("SELECT metrics FROM ingestion_runs WHERE source = %s AND promoted ORDER BY snapshot_at DESC, started_at DESC LIMIT %s",
                (source, settings.qa.trailing_runs))
    checks = evaluate(stats, [r[0] for r in cur.fetchall()], settings.qa)
    t1 = time.perf_counter()
    raw_new = store.insert_raw(cur, source, run_id, snapshot)
    quarantined = store.quarantine(cur, source, run_id)
    timings["raw_s"] = time.perf_counter() - t1

    promoted = not any(c.failed for c in checks)
    written: Counter = Counter()
    if promoted:
        t2 = time.perf_counter()
        written = _promote(conn, cur, settings, source, run_id, snapshot, stats.records, progress)
        timings["promote_s"] = time.perf_counter() - t2
    store.record_checks(cur, run_id, checks)
    status = "failed" if not promoted else ("warning" if any(c.status == "warn" for c in checks) else "success")
    timings["total_s"] = time.perf_counter() - t0
    metrics = {**stats.as_metrics(), "history": history, "raw_new": raw_new, "quarantine_rows": quarantined, **dict(written),
               "file_bytes": sf.size, "timings": {k: round(v, 3) for k, v in timings.items()}}
    failed = [c.name for c in checks if c.failed]
    cursor = {"snapshot_at": snapshot.isoformat(), "file_sha256": sf.sha256, "content_month": stats.content_month,
              **({"origin": origin} if origin else {})}
    cur.execute("""UPDATE ingestion_runs SET status = %s, promoted = %s, finished_at = now(), metrics = %s, cursor = %s, error = %s
                   WHERE id = %s""",
                (status, promoted, _dumps(metrics), _dumps(cursor),
                 f"QA gate failed: {', '.join(failed)}; raw kept, nothing promoted" if failed else None, run_id))
    notify = promoted and written.get("changes") and not history
    if notify:
        cur.execute("SELECT pg_notify('permit_changes', %s)", (str(run_id),))
    conn.commit()
    if promoted and written.get("changes"):
        _refresh_map(conn, settings, metrics)
    return RunResult(run_id, source, (origin or {}).get("uri", sf.uri), status, promoted, snapshot, metrics, checks,
                     reason=f"QA gate failed: {', '.join(failed)}" if failed else None)


def _refresh_map(conn: psycopg.Connection, settings: Settings, metrics: dict) -> None:
    """After the commit: the map's low-zoom grid and cached tiles follow the new data. A
    failure leaves the map behind, not the ingest undone; the next run catches it up."""
    try:
        metrics["timings"]["map_refresh_s"] = round(grid.refresh(conn, settings), 3)
    except psycopg.Error as exc:
        conn.rollback()
        log.error("map grid refresh failed (tiles lag until the next run): %s", exc)


def _promote(conn, cur, settings: Settings, source, run_id, snapshot, total, progress) -> Counter:
    """Chunks of permits, pipelined: while one chunk is written (COPY, on the connection,
    in a helper thread), the next is read and decided (Python). Chunks hold disjoint
    status numbers, so their order of writing does not matter; psycopg serializes the
    connection's use, and everything stays in the one batch transaction."""
    operator_ids = resolve_rrc_operators(cur, store.operators_seen(cur))
    writer = store.Writer(conn.cursor())
    written: Counter = Counter()
    groups = store.iter_permit_groups(conn, settings.ingest_batch_size)
    done, pending = 0, None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as pool:
        try:
            chunk = _load_chunk(cur, source, next(groups, None))
            while chunk is not None:
                batch = store.Batch(source, run_id, snapshot, operator_ids)
                for number, state, rows in chunk:
                    decision = decide(state, [store.to_incoming(r) for r in rows], snapshot)
                    written.update(f"changes_{c.change_type}" for c in decision.changes)
                    batch.add(number, decision)
                done += sum(len(rows) for _, _, rows in chunk)
                if pending is not None:
                    written.update(pending.result())
                chunk = _load_chunk(cur, source, next(groups, None))  # the connection is free again
                pending = pool.submit(writer.flush, batch)
                progress("promote", done, total)
            if pending is not None:
                written.update(pending.result())
        finally:
            if pending is not None and not pending.done():
                wait([pending])  # never leave a COPY running under a rollback
    # The filing's life renames some changes: recount them as they were recorded.
    if source == PENDING:
        life = after_pending_run(cur, run_id, snapshot, settings.pending_expire_days)
        written.pop("changes_new", None)
        written.pop("changes_amended", None)
        written["changes_status_changed"] -= life["closed"]
        written["changes"] += life["expired"]  # new rows, not renamed ones
        written.update(changes_filed=life["filed"], changes_left_pending=life["closed"] + life["expired"])
    else:
        life = after_daily_run(cur, run_id, snapshot)
        written["changes_new"] -= life["approved"]
        written.update(changes_approved=life["approved"], located_from_filing=life["located_from_filing"])
    written = Counter({k: v for k, v in written.items() if v or not k.startswith("changes_")})
    # Every version of each permit the run changed, old and new: the aggregates below are
    # recomputed for whatever those versions ever belonged to (read once for both).
    cur.execute("DROP TABLE IF EXISTS pg_temp.tmp_run_versions")
    cur.execute("""CREATE TEMP TABLE tmp_run_versions ON COMMIT DROP AS
                   SELECT v.operator_id, v.county_code, v.issued_date, v.api_number FROM permit_versions v
                   WHERE v.permit_id IN (SELECT permit_id FROM permit_changes WHERE ingestion_run_id = %s)""", (run_id,))
    known = cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'permits_current'::regclass").fetchone()[0]
    operator_stats.refresh_touched(cur, everything=wrote_most(written["changes"], known))
    wells.refresh_touched(cur)
    written["operators_seen"] = len(operator_ids)
    return written


def wrote_most(changes: int, known: float) -> bool:
    """PURE: whether a run's changes are more than a fifth of the permits the planner last
    counted (-1: never counted), as in a first load or a big backfill. The aggregates then
    recompute every group in one pass instead of picking out the touched ones."""
    return known < 0 or changes > 0.2 * known


def _load_chunk(cur, source, chunk) -> list | None:
    """Known state for a chunk's permits; only permits with new raw bytes come back, and
    only their filings' content is loaded."""
    if chunk is None:
        return None
    states = store.load_states(cur, source, [number for number, _ in chunk])
    changed = [(n, states.get(n), rows) for n, rows in chunk if _has_new_raw(states.get(n), rows)]
    store.load_contents(cur, [state for _, state, _ in changed if state is not None])
    return changed


def _has_new_raw(state, rows: list[tuple]) -> bool:
    """The fast path of a re-read snapshot: every record byte-identical to what is known."""
    if state is None:
        return True
    return any(state.filings.get(r[1]) is None or state.filings[r[1]].raw_hash != r[2] for r in rows)
