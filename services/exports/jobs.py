"""Export jobs: asked for in the workspace's context (validated, within the WorkspaceQuota's
daily limit, audited), run by the `export` RQ workers as the application role inside that
workspace (RLS), and swept: expired files deleted, jobs whose worker died retried.

A job's file is written to a private temporary path, stored under its key whole, and only
then does the job become `completed` with that key, in one statement: a link never points at
a half-written file, and a killed worker leaves a `running` job that the sweep re-queues."""

from __future__ import annotations

import json
import logging
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from services.alerting.filters import describe
from services.apikeys import limiter
from services.audit.trail import audit
from services.billing import metering
from services.billing import notices as billing_notices
from services.db.engine import set_tenant
from services.engagement import compute as product_metrics
from services.errors import FieldError, InvalidInput, Missing
from services.exports import columns as C
from services.exports import links, report_jobs, writers
from services.exports import report_schedules as schedules
from services.exports.quota import check_quota
from services.ingestion.fetch import file_digest
from services.operators.watchlists import with_group_members
from services.permits import search
from services.permits.store import request_params
from services.queueing import enqueue_unique, redis_client
from services.settings import Settings
from services.storage import storage

log = logging.getLogger(__name__)


_PERMITS_FROM = ("FROM permits_current c JOIN permit_versions v ON v.id = c.version_id AND v.source_seen_at = c.source_seen_at "
                 "JOIN ingestion_runs r ON r.id = v.ingestion_run_id")
_GEOMETRY = "ST_AsGeoJSON(c.geom, 6) AS geometry"
_LATERALS = ("CASE WHEN c.geom IS NOT NULL AND c.bhl_geom IS NOT NULL THEN ST_AsGeoJSON(ST_Collect(ARRAY("
             "SELECT ST_MakeLine(c.geom, d.geom) FROM ST_Dump(c.bhl_geom) d)), 6) END AS laterals")


# ---- asking for an export ---------------------------------------------------------------

def create(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID, user_id: uuid.UUID, *, kind: str, fmt: str,
           columns: list[str] | None, search_params: dict | None, watchlist_id: uuid.UUID | None,
           operator_id: uuid.UUID | None) -> uuid.UUID:
    chosen = C.choose(kind, fmt, columns)
    if kind == "areas":
        if search_params or watchlist_id or operator_id:
            raise FieldError("search", "an areas export takes every area of the workspace; give no search")
        if not cur.execute("SELECT 1 FROM aois LIMIT 1").fetchone():
            raise InvalidInput("this workspace has no areas to export yet")
        params, title = {}, "Your areas"
    else:
        params, title = _resolve_search(cur, search_params or {}, watchlist_id, operator_id)
    check_quota(cur, settings, workspace_id)
    job = cur.execute("""INSERT INTO export_jobs (workspace_id, created_by, job_type, format, title, params)
                         VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
                      (workspace_id, user_id, kind, fmt, title, json.dumps({"search": params, "columns": chosen}))).fetchone()[0]
    audit(cur, workspace_id, user_id, "export.created", "export", job, {"kind": kind, "format": fmt, "title": title, "search": params})
    return job


def _resolve_search(cur: psycopg.Cursor, raw: dict, watchlist_id: uuid.UUID | None, operator_id: uuid.UUID | None) -> tuple[dict, str]:
    """The search as it stands now, every reference resolved (an area to its shape, groups and
    a watchlist to operators), so the export is of what was asked even if those change."""
    params = request_params(cur, raw)
    words = []
    if watchlist_id or operator_id:
        ids, name = _operators_of(cur, watchlist_id, operator_id)
        # with operator filters of its own too, the search keeps only the operators in both
        params["operator_ids"] = sorted(ids & set(params["operator_ids"])) if "operator_ids" in params else sorted(ids)
        words.append(name)
    q = search.parse({**params, "limit": 1})
    filters = with_group_members(cur, q.filters)
    names = dict(cur.execute("SELECT id::text, canonical_name FROM operators WHERE id::text = ANY(%s)",
                             (filters.get("operator_ids", []),)).fetchall())
    stored = {"filters": filters, "bbox": q.bbox, "area": q.area, "buffer_m": q.buffer_m, "text": q.text, "sort": q.sort}
    if not words and filters:
        words.append(describe(filters, names))
    if q.area or q.bbox:
        words.append("in the area drawn" if q.area else "in the map view")
    if q.text:
        words.append(f"matching “{q.text}”")
    text = "; ".join(words)
    return stored, (("Permits " if text.startswith(("in ", "by ", "of ")) else "Permits: ") + text if words else "Every permit")[:200]


def _operators_of(cur: psycopg.Cursor, watchlist_id: uuid.UUID | None, operator_id: uuid.UUID | None) -> tuple[set[str], str]:
    if watchlist_id and operator_id:
        raise FieldError("watchlist_id", "give a watchlist or an operator, not both")
    if operator_id:
        row = cur.execute("SELECT coalesce(merged_into, id), canonical_name FROM operators WHERE id = %s", (operator_id,)).fetchone()
        if row is None:
            raise FieldError("operator_id", f"no operator {operator_id}")
        return {str(row[0])}, f"of {row[1]}"
    row = cur.execute("SELECT name FROM operator_watchlists WHERE id = %s", (watchlist_id,)).fetchone()
    if row is None:
        raise FieldError("watchlist_id", f"no watchlist {watchlist_id} in this workspace")
    ids = {r[0] for r in cur.execute(
        """SELECT operator_id::text FROM operator_watchlist_items WHERE watchlist_id = %(w)s
           UNION SELECT m.operator_id::text FROM operator_watchlist_groups g JOIN operator_group_members m ON m.group_id = g.group_id
           WHERE g.watchlist_id = %(w)s""", {"w": watchlist_id}).fetchall()}
    if not ids:
        raise FieldError("watchlist_id", f"the watchlist {row[0]} follows no operator yet")
    return ids, f"of the watchlist {row[0]}"


def enqueue(settings: Settings, job_id: uuid.UUID, workspace_id: uuid.UUID, attempt: int = 0) -> None:
    enqueue_unique(settings, "export", "workers.export.run", f"export-{job_id}-{attempt}", str(job_id), str(workspace_id), timeout=3 * 3600)


# ---- what the API shows ----------------------------------------------------------------

_LIST = """SELECT j.id, j.job_type AS kind, j.format, j.title, j.status, j.progress, j.rows_expected, j.row_count, j.error,
                  j.file_name, j.size_bytes, j.attempts, j.created_at, j.started_at, j.finished_at, j.expires_at,
                  j.attachment_name, j.aoi_id,
                  coalesce(u.display_name, u.email) AS created_by
           FROM export_jobs j LEFT JOIN users u ON u.id = j.created_by"""


def list_jobs(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID, limit: int = 100) -> list[dict]:
    rows = cur.connection.cursor(row_factory=dict_row).execute(_LIST + " ORDER BY j.created_at DESC LIMIT %s", (limit,)).fetchall()
    return [_shown(settings, workspace_id, r) for r in rows]


def get_job(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID, job_id: uuid.UUID) -> dict:
    row = cur.connection.cursor(row_factory=dict_row).execute(_LIST + " WHERE j.id = %s", (job_id,)).fetchone()
    if row is None:
        raise Missing(f"export {job_id} does not exist in this workspace")
    return _shown(settings, workspace_id, row)


def _shown(settings: Settings, workspace_id: uuid.UUID, r: dict) -> dict:
    live = r["status"] == "completed" and r["expires_at"] and r["expires_at"] > datetime.now(UTC)
    url = download_path(settings, r, workspace_id) if live else None
    return {**r, "download_url": url, "attachment_url": url + "&part=attachment" if url and r.get("attachment_name") else None}


def download_path(settings: Settings, r: dict, workspace_id: uuid.UUID) -> str:
    """The signed, expiring path of a job's file (its attachment: `&part=attachment`)."""
    return f"/v1/exports/{r['id']}/file?" + "&".join(
        f"{k}={v}" for k, v in links.sign(settings.secret_key, r["id"], workspace_id, int(r["expires_at"].timestamp())).items())


def file_for(cur: psycopg.Cursor, settings: Settings, job_id: uuid.UUID, part: str = "file") -> dict:
    """The stored file of a completed export (or its attachment: a report's workbook), in the
    workspace in context (the one its link was signed for): its local path or a presigned
    URL. Each download is audited."""
    row = cur.execute("""SELECT workspace_id, storage_key, file_name, format, expires_at, attachment_key, attachment_name
                         FROM export_jobs WHERE id = %s AND status = 'completed'""", (job_id,)).fetchone()
    if row is None:
        raise Missing(f"export {job_id} has no file (expired, failed or not finished)")
    workspace_id, key, name, fmt, expires, extra_key, extra_name = row
    if part == "attachment":
        if extra_key is None:
            raise Missing(f"export {job_id} has no attachment")
        key, name, fmt = extra_key, extra_name, "xlsx"
    store = storage(settings)
    seconds = int((expires - datetime.now(UTC)).total_seconds())
    audit(cur, workspace_id, None, "export.downloaded", "export", job_id, {"file": name})
    return {"path": store.path(key), "url": store.presigned_url(key, name, seconds), "file_name": name, "media_type": C.MEDIA_TYPES[fmt]}


# ---- running one ---------------------------------------------------------------------------

class _Reporter:
    """Progress and heartbeat on their own connection, each in its own short transaction, so
    the Exports screen sees them while the long read runs."""

    def __init__(self, conn: psycopg.Connection, job_id: uuid.UUID, workspace_id: uuid.UUID, expected: int):
        self.conn, self.job_id, self.workspace_id, self.expected, self.last = conn, job_id, workspace_id, max(expected, 1), 0.0

    def __call__(self, rows: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        with self.conn.transaction():
            set_tenant(self.conn.cursor(), self.workspace_id)
            self.conn.execute("UPDATE export_jobs SET progress = least(0.99, %s), heartbeat_at = now() WHERE id = %s",
                              (rows / self.expected, self.job_id))


def run(settings: Settings, job_id: uuid.UUID, workspace_id: uuid.UUID) -> str:
    """Run one export job (the RQ `export` queue calls this); returns its final status."""
    with psycopg.connect(settings.database_url, application_name="permitwatch-export") as conn, \
            psycopg.connect(settings.database_url, autocommit=True, application_name="permitwatch-export-progress") as side:
        with conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            set_tenant(cur, workspace_id)
            job = cur.execute("""UPDATE export_jobs SET status = 'running', attempts = attempts + 1, started_at = now(), heartbeat_at = now(),
                                        progress = 0, error = NULL WHERE id = %s AND status = 'queued' RETURNING *""", (job_id,)).fetchone()
        if job is None:
            return "not queued"  # done, running elsewhere, or gone
        try:
            with tempfile.TemporaryDirectory(prefix="permitwatch-export-") as tmp:
                out = _write(conn, settings, job, workspace_id, side, Path(tmp))
                keys = [f"{workspace_id}/{job_id}/{path.name}" for path, _ in out.files]
                for key, (path, fmt) in zip(keys, out.files, strict=True):
                    storage(settings).put(path, key, C.MEDIA_TYPES[fmt])
                digest, size = file_digest(out.files[0][0])
                names = [path.name for path, _ in out.files]
            hours = settings.report_link_days * 24 if job["job_type"] == "report" else settings.export_link_hours
            with conn.transaction():
                cur = conn.cursor(row_factory=dict_row)
                set_tenant(cur, workspace_id)
                done = cur.execute("""UPDATE export_jobs SET status = 'completed', progress = 1, row_count = %s, storage_key = %s, file_name = %s,
                                             size_bytes = %s, sha256 = %s, finished_at = now(), expires_at = now() + %s * interval '1 hour',
                                             attachment_key = %s, attachment_name = %s, summary = %s
                                      WHERE id = %s RETURNING *""",
                                   (out.rows, keys[0], names[0], size, digest, hours, keys[1] if len(keys) > 1 else None,
                                    names[1] if len(keys) > 1 else None, json.dumps(out.summary) if out.summary else None, job_id)
                                   ).fetchone()
                audit(cur, workspace_id, None, "export.completed", "export", job_id, {"rows": out.rows, "bytes": size, "file": names[0]})
                if job["job_type"] == "report":
                    link = settings.public_base_url.rstrip("/") + download_path(settings, done, workspace_id)
                    attached = [{"key": k, "name": p.name, "media_type": C.MEDIA_TYPES[f]} for k, (p, f) in zip(keys, out.files, strict=True)]
                    report_jobs.queue_emails(cur, done, link, attached, out.summary)
            return "completed"
        except Exception as exc:  # the job records every failure; the worker goes on
            conn.rollback()
            user_error = isinstance(exc, InvalidInput)
            retry = not user_error and job["attempts"] < settings.export_max_attempts
            message = str(exc) if user_error else (
                f"the export failed ({type(exc).__name__}); it is retried" if retry else
                f"the export failed {job['attempts']} times ({type(exc).__name__}); start it again, or write to support if it keeps failing")
            log.exception("export %s failed (attempt %s)", job_id, job["attempts"])
            with conn.transaction():
                cur = conn.cursor()
                set_tenant(cur, workspace_id)
                cur.execute("UPDATE export_jobs SET status = %s, error = %s, finished_at = CASE WHEN %s THEN NULL ELSE now() END WHERE id = %s",
                            ("queued" if retry else "failed", message, retry, job_id))
            if retry:
                enqueue(settings, job_id, workspace_id, job["attempts"])
            return "queued" if retry else "failed"


@dataclass
class Output:
    files: list[tuple[Path, str]]  # (file, format): the one behind the link first, then its attachment
    rows: int
    summary: dict | None = None


def _write(conn: psycopg.Connection, settings: Settings, job: dict, workspace_id: uuid.UUID, side: psycopg.Connection,
           tmp: Path) -> Output:
    fmt, kind, spec = job["format"], job["job_type"], job["params"]
    if kind == "report":
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            set_tenant(conn.cursor(), workspace_id)
            name = conn.execute("SELECT name FROM workspaces WHERE id = %s", (workspace_id,)).fetchone()[0]
            written = report_jobs.write(conn, job, name, tmp)
        return Output([(written.pdf, "pdf"), (written.xlsx, "xlsx")], sum(written.summary["rows"].values()), written.summary)
    stamp = job["created_at"].strftime("%Y%m%d-%H%M")
    out = tmp / f"permitwatch-{kind}-{stamp}.{C.EXTENSIONS[fmt]}"
    # One snapshot for the count and the rows; reading takes ACCESS SHARE locks only (docs/performance.md).
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        set_tenant(conn.cursor(), workspace_id)
        conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        if kind == "areas":
            items = [*C.AREA_COLUMNS, *([("Geometry (WKT)", "ST_AsText(geom)", "text")] if fmt in ("csv", "xlsx") else [])]
            rest, params = "FROM aois ORDER BY name, id", {}
            sql = f"SELECT {_labelled(items)}" + (", ST_AsGeoJSON(geom, 6) AS geometry " if fmt not in ("csv", "xlsx") else " ") + rest
            expected = conn.execute("SELECT count(*) FROM aois").fetchone()[0]
        else:
            items, rest, params = permits_query(spec)
            sql, _ = permits_sql(spec, geo=fmt in ("geojson", "kml", "shapefile"))
            count, count_params = search.count_sql(query_of(spec["search"]))
            expected = conn.execute(count, count_params).fetchone()[0]
        with side.transaction():
            set_tenant(side.cursor(), workspace_id)
            side.execute("UPDATE export_jobs SET rows_expected = %s, heartbeat_at = now() WHERE id = %s", (expected, job["id"]))
        progress = _Reporter(side, job["id"], workspace_id, expected)
        if fmt == "csv":
            rows = writers.copy_csv(conn, sql, params, out, progress)
        elif fmt == "xlsx":
            rows = writers.copy_xlsx(conn, items, rest, params, out, progress, title="Permits" if kind == "permits" else "Areas",
                                     about=[job["title"], f"Exported from permitwatch on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
                                            "Each row names its RRC source file and when the RRC published it." if kind == "permits" else
                                            "Areas as drawn; the buffer is applied when matching permits."])
        else:
            labels, it = writers.stream(conn, sql, params)
            if fmt == "geojson":
                rows = writers.write_geojson(labels, it, out, progress)
            elif fmt == "kml":
                rows = writers.write_kml(labels, it, out, progress, title=job["title"], name_of=_placemark_name,
                                         style_of=lambda d: d.get("Filing purpose"))
            else:
                rows = writers.write_shapefile(labels, it, out, progress, layer="permits" if kind == "permits" else "areas")
    return Output([(out, fmt)], rows)


def query_of(stored: dict) -> search.SearchQuery:
    return search.SearchQuery(filters=stored["filters"], bbox=tuple(stored["bbox"]) if stored.get("bbox") else None, area=stored.get("area"),
                              buffer_m=stored.get("buffer_m") or 0, sort=stored.get("sort") or "issued_desc", text=stored.get("text"))


def permits_query(spec: dict) -> tuple[list[tuple[str, str, str]], str, dict]:
    """The export's columns (label, SQL, cell type: provenance, then the chosen ones) and the
    rest of its query: the search's conditions, newest first (as the list shows them)."""
    q = query_of(spec["search"])
    where, params = search.where_clauses(q)
    column, direction, null_as = search.SORTS[q.sort]
    rest = (f"{_PERMITS_FROM}" + (" WHERE " + " AND ".join(where) if where else "")
            + f" ORDER BY coalesce(c.{column}, {null_as}) {direction}, c.permit_id {direction}")
    return C.select_list(spec["columns"]), rest, params


def permits_sql(spec: dict, *, geo: bool) -> tuple[str, dict]:
    """The export's query with its columns under their labels (and the geometry, for maps)."""
    items, rest, params = permits_query(spec)
    cols = _labelled(items) + (f", {_GEOMETRY}, {_LATERALS}" if geo else "")
    return f"SELECT {cols} {rest}", params


def _labelled(items: list[tuple[str, str, str]]) -> str:
    return ", ".join(f'{expr} AS "{label}"' for label, expr, _ in items)


def _placemark_name(d: dict) -> str:
    name = " ".join(str(d[k]) for k in ("Lease", "Well") if d.get(k))
    return name or f"Permit {d.get('Status number', '')}"


# ---- the sweep -------------------------------------------------------------------------------

def sweep(settings: Settings) -> dict:
    """Across workspaces (the owner role's maintenance policy): delete expired files, give a
    job whose worker died back to the queue (or fail it after the last attempt), queue
    again a job that never reached the queue, start the reports whose schedule is due, and
    move the Pro API's metered counts from Redis into api_usage_daily; and for billing, send
    the notices due (trial ending, alerts paused) and report text messages beyond the plan."""
    store = storage(settings)
    done = {"expired": 0, "requeued": 0, "failed": 0, "reports": 0, "usage_rows": 0}
    with psycopg.connect(settings.database_owner_url) as conn:
        expired = conn.execute("""WITH old AS (SELECT id, storage_key, attachment_key FROM export_jobs WHERE status = 'completed' AND expires_at < now()
                                               FOR UPDATE SKIP LOCKED)
                                  UPDATE export_jobs j SET status = 'expired', storage_key = NULL, attachment_key = NULL FROM old WHERE j.id = old.id
                                  RETURNING old.storage_key, old.attachment_key""").fetchall()
        for keys in expired:
            for key in filter(None, keys):
                store.delete(key)
        done["expired"] = len(expired)
        stale = conn.execute("""SELECT id, workspace_id, attempts FROM export_jobs
                                WHERE (status = 'running' AND heartbeat_at < now() - %(s)s * interval '1 second')
                                   OR (status = 'queued' AND coalesce(heartbeat_at, created_at) < now() - %(s)s * interval '1 second')
                                FOR UPDATE SKIP LOCKED""", {"s": settings.export_stale_seconds}).fetchall()
        for job_id, _, attempts in stale:
            if attempts >= settings.export_max_attempts:
                conn.execute("""UPDATE export_jobs SET status = 'failed', finished_at = now(),
                                error = 'the export stopped ' || attempts || ' times before finishing; start it again' WHERE id = %s""", (job_id,))
                done["failed"] += 1
            else:
                conn.execute("UPDATE export_jobs SET status = 'queued', heartbeat_at = now() WHERE id = %s", (job_id,))
                done["requeued"] += 1
        reports = schedules.start_due(conn)
        done["reports"] = len(reports)
        conn.commit()
        now = datetime.now(UTC)
        done |= billing_notices.sweep(conn.cursor(), settings, now)
        conn.commit()
        done["sms_metered"] = metering.report_overage(conn, settings, now)
        done["metric_weeks"] = len(product_metrics.refresh(conn, now))
        done["usage_rows"] = limiter.flush(redis_client(settings), conn)
    for job_id, workspace_id, attempts in stale:
        if attempts < settings.export_max_attempts:
            enqueue(settings, job_id, workspace_id, attempts)
    for job_id, workspace_id in reports:
        enqueue(settings, job_id, workspace_id)
    return done
