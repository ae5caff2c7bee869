"""PURE: custom resource specs -> typed values, with the CRDs' defaults, and the checks the
schema cannot make (an unknown source type, a date range in the future). A resource that
fails them gets `Invalid`, which handlers turn into a condition and an Event, not a retry.

The defaults repeat the CRDs' so that the operator behaves the same against an API server
that did not default the object (tests check the two agree)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date

from services.ingestion.sources.base import ADAPTERS

# Sources whose snapshots must be promoted oldest first (each file restates the month to
# date, and the version history is built in order).
ORDERED_SOURCES = frozenset({"rrc_daf420"})
QA_FIELDS = {"countDropFail": "COUNT_DROP_FAIL", "nullSpikeFail": "NULL_SPIKE_FAIL", "driftFail": "DRIFT_FAIL",
             "geometryFail": "GEOMETRY_FAIL", "quarantineFail": "QUARANTINE_FAIL"}


_SHARE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# What each source takes from its share when the resource names no pattern.
DEFAULT_PATTERNS = {"rrc_daf420": "daf420*", "rrc_pending": "dp_*_pending*"}


class Invalid(ValueError):
    """The resource cannot work as written. `reason` is a CamelCase condition reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class WorkerSpec:
    image: str | None = None
    queue: str = "ingest"
    replicas: int = 0  # only `permitwatch ingest enqueue` feeds this queue
    resources: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GoDriveLocation:
    """An RRC GoDrive share: its id, the file names taken, and the site (default: settings)."""
    share_id: str
    file_pattern: str
    url: str | None = None


@dataclass(frozen=True)
class SourceSpec:
    type: str
    location: str | None = None
    godrive: GoDriveLocation | None = None
    schedule: str = "*/30 * * * *"
    time_zone: str = "America/Chicago"
    suspend: bool = False
    qa: dict[str, float] = field(default_factory=dict)
    worker: WorkerSpec = field(default_factory=WorkerSpec)
    history_limit: int = 3


@dataclass(frozen=True)
class BackfillSpec:
    source_name: str
    start: date | None = None
    end: date | None = None
    files: tuple[str, ...] = ()
    folder: str = "/data/rrc"
    chunk_days: int = 7
    parallelism: int = 1
    force: bool = False
    volume: dict = field(default_factory=dict)
    backoff_limit: int = 2


@dataclass(frozen=True)
class QuotaSpec:
    workspace_id: uuid.UUID
    sms_per_month: int = 1000
    email_per_month: int = 10000
    api_calls_per_month: int | None = None
    api_rate_per_minute: int = 60
    export_jobs_per_day: int = 20
    sms_per_day: int = 50
    email_per_day: int = 500
    usage_report_seconds: int = 300


def source_spec(spec: dict) -> SourceSpec:
    kind = spec.get("type") or ""
    if kind not in ADAPTERS:
        raise Invalid("UnknownSourceType", f"unknown source type {kind!r}; this image knows: {', '.join(sorted(ADAPTERS))}")
    w = spec.get("worker") or {}
    gd = spec.get("godrive") or None
    if gd is not None and spec.get("location"):
        raise Invalid("TwoLocations", "give either spec.location (a path or URL) or spec.godrive (an RRC share), not both")
    if gd is not None and not _SHARE_ID.match(str(gd.get("shareId") or "")):
        raise Invalid("InvalidShare", f"spec.godrive.shareId {gd.get('shareId')!r} is not a share id (a UUID, as in /link/<id>)")
    godrive = GoDriveLocation(gd["shareId"], gd.get("filePattern") or DEFAULT_PATTERNS.get(kind, "*"), gd.get("url") or None) if gd else None
    return SourceSpec(type=kind, location=spec.get("location") or None, godrive=godrive, schedule=spec.get("schedule", SourceSpec.schedule),
                      time_zone=spec.get("timeZone", SourceSpec.time_zone), suspend=bool(spec.get("suspend", False)),
                      qa={k: float(v) for k, v in (spec.get("qa") or {}).items() if k in QA_FIELDS},
                      worker=WorkerSpec(image=w.get("image") or None, queue=w.get("queue", WorkerSpec.queue),
                                        replicas=int(w.get("replicas", WorkerSpec.replicas)), resources=dict(w.get("resources") or {})),
                      history_limit=int(spec.get("historyLimit", SourceSpec.history_limit)))


def backfill_spec(spec: dict, today: date) -> BackfillSpec:
    ref = (spec.get("sourceRef") or {}).get("name")
    if not ref:
        raise Invalid("MissingSource", "spec.sourceRef.name is required")
    files = tuple(spec.get("files") or ())
    start, end = _day(spec, "from"), _day(spec, "to")
    if files and (start or end):
        raise Invalid("AmbiguousRange", "give either files or a from/to date range, not both")
    if not files:
        if not (start and end):
            raise Invalid("MissingRange", "give a from/to date range or a list of files")
        if start > end:
            raise Invalid("EmptyRange", f"from {start} is after to {end}")
        if end > today:
            raise Invalid("FutureRange", f"to {end} is in the future (today is {today}); no file exists for it yet")
    return BackfillSpec(source_name=ref, start=start, end=end, files=files, folder=spec.get("folder", BackfillSpec.folder),
                        chunk_days=int(spec.get("chunkDays", BackfillSpec.chunk_days)),
                        parallelism=int(spec.get("parallelism", BackfillSpec.parallelism)), force=bool(spec.get("force", False)),
                        volume=dict(spec.get("volume") or {}), backoff_limit=int(spec.get("backoffLimit", BackfillSpec.backoff_limit)))


def quota_spec(spec: dict) -> QuotaSpec:
    try:
        ws = uuid.UUID(str(spec.get("workspaceId")))
    except ValueError:
        raise Invalid("BadWorkspaceId", f"workspaceId {spec.get('workspaceId')!r} is not a UUID") from None
    limits = spec.get("alertRateLimits") or {}
    d = QuotaSpec
    api_calls = spec.get("apiCallsPerMonth")
    return QuotaSpec(workspace_id=ws, sms_per_month=int(spec.get("smsPerMonth", d.sms_per_month)),
                     email_per_month=int(spec.get("emailPerMonth", d.email_per_month)),
                     api_calls_per_month=None if api_calls is None else int(api_calls),
                     api_rate_per_minute=int(spec.get("apiRatePerMinute", d.api_rate_per_minute)),
                     export_jobs_per_day=int(spec.get("exportJobsPerDay", d.export_jobs_per_day)),
                     sms_per_day=int(limits.get("smsPerDay", d.sms_per_day)), email_per_day=int(limits.get("emailPerDay", d.email_per_day)),
                     usage_report_seconds=int(spec.get("usageReportSeconds", d.usage_report_seconds)))


def _day(spec: dict, key: str) -> date | None:
    value = spec.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid("BadDate", f"spec.{key} {value!r} is not a YYYY-MM-DD date") from None
