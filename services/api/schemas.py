"""The API's contract: every request and response body as a Pydantic model, so
/openapi.json describes each one and the browser reads and sends exactly these shapes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
Name = Field(min_length=1, max_length=120)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class In(BaseModel):
    # Unknown fields are refused: a misspelt field must not be silently ignored.
    model_config = ConfigDict(extra="forbid")


# ---- shared ---------------------------------------------------------------------------------
class Id(Out):
    id: uuid.UUID


class Point(Out):
    type: Literal["Point"]
    coordinates: list[float]


class MultiPoint(Out):
    type: Literal["MultiPoint"]
    coordinates: list[list[float]]


class MultiPolygon(Out):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[list[float]]]]


class ProblemWhere(Out):
    where: str
    problem: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error is answered."""
    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str
    param: str | None = Field(default=None, description="the parameter or field that was wrong")
    errors: list[ProblemWhere] | None = None
    trace_id: str | None = Field(default=None, description="for a 500: quote it when reporting the error")


PROBLEM_CODES = {400: "Bad request", 401: "Sign in required", 403: "Not allowed", 404: "Not found", 413: "Too large",
                 422: "Invalid input", 429: "Too many requests", 500: "Internal error", 503: "Unavailable"}
PROBLEM_RESPONSES = {code: {"description": text, "model": Problem, "content": {"application/problem+json": {}}}
                     for code, text in PROBLEM_CODES.items()}


# ---- accounts -------------------------------------------------------------------------------
class UserOut(Out):
    id: uuid.UUID
    email: str
    display_name: str | None
    email_verified: bool
    platform_admin: bool = Field(default=False, description="runs the service: may see the product metrics")


class WorkspaceOut(Out):
    id: uuid.UUID
    name: str
    plan: str
    role: str


class AccountOut(Out):
    id: uuid.UUID
    email: str
    display_name: str | None
    email_verified: bool
    phone: str | None
    phone_verified: bool
    timezone: str
    sms_opted_out: bool = Field(description="the phone replied STOP; START resumes texts")
    sms_paused_reason: str | None = Field(description="why texts stopped (an undeliverable number); verify a number to resume")
    email_paused_reason: str | None = Field(description="why e-mail stopped (a hard bounce); change and confirm the address to resume")
    pending_phone: str | None = Field(description="a number waiting for its texted code")


class WebhookResult(Out):
    recorded: int = Field(description="receipts written on alerts we sent")


class Me(Out):
    user: UserOut | None
    workspace_id: uuid.UUID | None
    role: Literal["owner", "admin", "member"] | None
    workspaces: list[WorkspaceOut]


class SignedUp(Out):
    user_id: uuid.UUID
    workspace_id: uuid.UUID | None


class UserRef(Out):
    user_id: uuid.UUID


class WorkspaceRef(Out):
    workspace_id: uuid.UUID


class Verified(Out):
    verified: bool


class Sent(Out):
    sent: bool
    detail: str | None = None


class Accepted(Out):
    detail: str


class InvitationPreview(Out):
    workspace_name: str
    email: str
    role: str


# ---- permits --------------------------------------------------------------------------------
class PermitMatch(Out):
    """A permit as a sample alert shows it."""
    permit_id: uuid.UUID
    status_number: str
    api_number: str | None
    operator_name: str | None
    lease_name: str | None
    well_number: str | None
    county: str | None
    district: str | None
    filing_purpose: str | None
    wellbore_profile: str | None
    total_depth: int | None
    status: str | None
    filed_date: date | None
    issued_date: date | None
    lon: float | None
    lat: float | None


class PermitSummary(PermitMatch):
    """A permit in a list: what a match shows, plus its identifiers and dates."""
    sequence: int | None
    operator_id: uuid.UUID | None
    operator_number: str | None
    county_code: str | None
    well_status: str | None
    amended_date: date | None
    spud_date: date | None
    amendment_count: int | None
    source_seen_at: datetime | None


class PermitPage(Out):
    items: list[PermitSummary]
    next_cursor: str | None
    count: int = Field(description="permits on this page")
    total: int | None = Field(default=None, description="permits the whole search matches (with_total=true)")


class PermitFeature(Out):
    type: Literal["Feature"]
    id: str
    geometry: Point | None
    properties: dict[str, Any]


class PermitFeatureCollection(Out):
    type: Literal["FeatureCollection"]
    features: list[PermitFeature]
    next_cursor: str | None


class ChangeOut(Out):
    change: str
    details: dict[str, Any] | None
    summary: list[str] = Field(default_factory=list, description="what changed, in words, one line per field")


class VersionOut(Out):
    id: uuid.UUID
    sequence: int | None
    source_seen_at: datetime
    status: str | None
    filing_purpose: str | None
    amended_date: date | None
    issued_date: date | None
    total_depth: int | None
    well_status: str | None
    lease_name: str | None
    location: Point | None
    changes: list[ChangeOut]


class NearestCity(Out):
    city: str | None
    miles: float | None
    direction: str | None


class TimelineStep(Out):
    kind: Literal["filed", "approved", "new", "left_pending"]
    published_at: datetime = Field(description="when the RRC published the file or pending set that said it")
    submitted_at: str | None = Field(description="when the application was filed with the RRC (ISO time)")
    hours_to_approval: float | None
    evidence: str | None = Field(description="for no longer pending: what shows it")


class Well(Out):
    api_number: str
    spud_date: date | None
    well_status: str | None
    completion_date: date | None
    first_issued: date | None
    last_issued: date | None
    permits: int
    status_numbers: list[str]


class PermitDetail(Out):
    permit_id: uuid.UUID
    status_number: str
    api_number: str | None
    operator_id: uuid.UUID | None
    operator: str | None
    operator_number: str | None
    operator_name: str | None
    lease_name: str | None
    well_number: str | None
    county: str | None
    county_code: str | None
    district: str | None
    filing_purpose: str | None
    filing_purpose_code: str | None
    wellbore_profile: str | None
    total_depth: int | None
    status: str | None
    well_status: str | None
    filed_date: date | None
    issued_date: date | None
    amended_date: date | None
    spud_date: date | None
    expiration_date: date | None
    amendment_count: int | None
    first_seen_at: datetime | None
    source_seen_at: datetime | None
    location_carried: bool | None
    location: Point | None
    bottom_holes: MultiPoint | Point | None
    legal_description: dict[str, str | None] | None
    nearest_city: NearestCity
    fields: list[dict[str, Any]]
    acres: float | None
    versions: list[VersionOut]
    location_source: str | None = Field(description="where the location came from: the daily file, or the pending filing until it has one")
    timeline: list[TimelineStep] = Field(description="filed (pending approval), approved or first published, or no longer pending")
    first_alert_at: datetime | None = Field(description="when this workspace's first alert about the permit was sent")
    well: Well | None = Field(default=None, description="the well this permit's API number belongs to, over all its permits")




class Freshness(Out):
    last_success_at: datetime | None = Field(description="when the newest RRC file was loaded")
    latest_snapshot_at: datetime | None = Field(description="the day of the newest RRC file loaded (RRC data as of)")
    last_failure_at: datetime | None
    permits: int | None
    last_checked_at: datetime | None = Field(description="when the source was last looked at, new file or not")
    checked_at: datetime = Field(description="when this answer was computed")
    stale: bool


class CountyOut(Out):
    code: str
    name: str
    district: str | None = Field(description="RRC district; none for the few counties without wells on file")


class CodeName(Out):
    code: str
    name: str


class FilterVocabulary(Out):
    counties: list[CountyOut]
    districts: list[str]
    filing_purposes: list[CodeName]
    profiles: list[str]
    statuses: list[str]


class OperatorHit(Out):
    id: uuid.UUID
    name: str
    p5_number: str | None
    permits: int


class Health(Out):
    ok: bool


class MapConfig(Out):
    basemap_raster_url: str | None
    basemap_attribution: str
    map_style_url: str | None
    mapbox_token: str | None


# ---- areas and lists --------------------------------------------------------------------------
Unit = Literal["m", "ft", "mi"]


class AreaIn(In):
    name: str = Name
    kind: Literal["polygon", "rectangle", "circle"] = "polygon"
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon/MultiPolygon, for kind=polygon")
    bbox: list[float] | None = Field(default=None, min_length=4, max_length=4, description="[min_lon, min_lat, max_lon, max_lat], for kind=rectangle")
    center: list[float] | None = Field(default=None, min_length=2, max_length=2, description="[lon, lat], for kind=circle")
    radius: float | None = Field(default=None, ge=0, le=1e6, description="in radius_unit (default: buffer_unit), for kind=circle")
    radius_unit: Unit | None = None
    buffer: float = Field(default=0, ge=0, le=1e6)
    buffer_unit: Unit = "m"


class AreaPatch(In):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: Literal["polygon", "rectangle", "circle"] | None = None
    geometry: dict[str, Any] | None = None
    bbox: list[float] | None = Field(default=None, min_length=4, max_length=4)
    center: list[float] | None = Field(default=None, min_length=2, max_length=2)
    radius: float | None = Field(default=None, ge=0, le=1e6)
    radius_unit: Unit | None = None
    buffer: float | None = Field(default=None, ge=0, le=1e6)
    buffer_unit: Unit = "m"


class AreaProperties(Out):
    id: uuid.UUID
    name: str
    buffer_m: int
    buffer_unit: str | None
    shape: dict[str, Any] | None
    source: str
    created_at: datetime
    area_km2: float
    rules: int


class AreaFeature(Out):
    type: Literal["Feature"]
    id: str
    geometry: MultiPolygon
    properties: AreaProperties


class AreaCollection(Out):
    type: Literal["FeatureCollection"]
    features: list[AreaFeature]


class ImportResult(Out):
    format: str
    created: list[AreaFeature]


class SavedIn(In):
    name: str = Name
    filters: dict[str, Any] = Field(description="filters in the search vocabulary (GET /v1/filters)")


class SavedOut(Out):
    id: uuid.UUID
    name: str
    filters: dict[str, Any]
    summary: str = Field(description="the filters in words, with names instead of codes")
    created_at: datetime


class WatchlistIn(In):
    name: str = Name
    operator_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    group_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50,
                                       description="watchlists only: your operator groups, followed as their members change")


class WatchedOperator(Out):
    id: uuid.UUID
    name: str
    p5_number: str | None


class GroupRef(Out):
    id: uuid.UUID
    name: str


class OperatorGroupIn(In):
    name: str = Field(min_length=1, max_length=80)
    operator_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class OperatorGroupOut(Out):
    id: uuid.UUID
    name: str
    created_at: datetime
    operators: list[WatchedOperator]


class WatchlistOut(OperatorGroupOut):
    groups: list[GroupRef] = Field(description="operator groups on the watchlist: whoever is in them is watched")


# ---- alerts ---------------------------------------------------------------------------------
class QuietWindow(In):
    start: str = Field(pattern=HHMM, description="HH:MM, local time")
    end: str = Field(pattern=HHMM, description="HH:MM; earlier than start for a window across midnight")
    days: list[int] = Field(default_factory=lambda: list(range(7)), min_length=1, max_length=7,
                            description="weekdays the window starts on, 0 = Monday")


class QuietHours(In):
    timezone: str = Field(default="America/Chicago", max_length=64)
    windows: list[QuietWindow] = Field(min_length=1, max_length=14)


class RuleIn(In):
    name: str = Name
    aoi_id: uuid.UUID | None = None
    saved_search_id: uuid.UUID | None = None
    watchlist_id: uuid.UUID | None = None
    notify_on: Literal["new_only", "new_and_amendments", "all_changes"] = "new_only"
    notify_on_filings: bool = Field(default=False, description="also tell of applications pending approval (filed, and left pending)")
    new_acreage_only: bool = Field(default=False, description="with a watchlist: only a watched operator's first permit in a county "
                                   "(or in the rule's area) where it had none in the last 12 months")
    change_types: list[Literal["new", "approved", "amended", "status_changed", "location_changed", "spudded", "corrected",
                               "filed", "left_pending"]] | None = Field(default=None, max_length=9)
    channels: dict[Literal["sms", "email", "in_app"], bool] = Field(default_factory=lambda: {"in_app": True})
    recipients: list[uuid.UUID] = Field(default_factory=list, max_length=200, description="members to notify; empty = you")
    quiet_hours: QuietHours | None = Field(default=None, description="hold SMS and e-mail in these hours; in-app is immediate")
    timezone: str = Field(default="America/Chicago", max_length=64)
    digest_mode: Literal["none", "daily", "weekly"] = "none"
    digest_at: str = Field(default="07:00", pattern=HHMM)
    digest_weekday: int = Field(default=0, ge=0, le=6)
    enabled: bool = True


class RuleOut(Out):
    id: uuid.UUID
    name: str
    enabled: bool
    aoi_id: uuid.UUID | None
    aoi_name: str | None
    saved_search_id: uuid.UUID | None
    watchlist_id: uuid.UUID | None
    notify_on: str
    notify_on_filings: bool
    new_acreage_only: bool
    change_types: list[str] | None
    channels: dict[str, bool]
    recipients: list[uuid.UUID]
    quiet_hours: QuietHours | None
    timezone: str
    digest_mode: str
    digest_at: str
    digest_weekday: int
    created_at: datetime
    events: int
    paused_channels: list[str] = Field(default_factory=list, description="channels paused for a recipient by a bounce or undeliverable number")


class RuleWithSamples(RuleOut):
    samples: list[PermitMatch]
    sample_total: int = Field(description="how many permits the rule would have matched in the sample period")


class Enabled(In):
    enabled: bool


class ReadBody(In):
    ids: list[uuid.UUID] | None = Field(default=None, max_length=500, description="omit to mark all read")


class Delivery(Out):
    channel: str
    to: str | None
    status: str
    attempts: int
    sent_at: datetime | None
    error: str | None
    receipt: str | None = Field(default=None, description="the provider's delivery receipt: delivered, undelivered or bounced")
    receipt_code: str | None = None


class NotificationOut(Out):
    id: uuid.UUID
    title: str
    body: str | None
    created_at: datetime
    read: bool
    permit_id: uuid.UUID | None
    status_number: str | None
    lon: float | None
    lat: float | None
    rule: str | None
    deliveries: list[Delivery]


class Notifications(Out):
    unread: int
    items: list[NotificationOut]


class Unread(Out):
    unread: int


class Marked(Out):
    marked: int


class TestAlert(Out):
    sent_to: list[str] = Field(description="where the test alert went, per channel")


# ---- workspace --------------------------------------------------------------------------------
class MemberOut(Out):
    user_id: uuid.UUID
    email: str
    display_name: str | None
    role: str
    joined_at: datetime
    email_verified: bool
    phone_verified: bool = Field(description="can receive SMS alerts (a verified phone that is not paused)")


class InvitationOut(Out):
    id: uuid.UUID
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


class Team(Out):
    members: list[MemberOut]
    invitations: list[InvitationOut]
    your_role: str | None


class InviteIn(In):
    email: str = Field(min_length=3, max_length=254)
    role: Literal["admin", "member"] = "member"


class RoleIn(In):
    role: Literal["owner", "admin", "member"]


class RoleOut(Out):
    user_id: uuid.UUID
    role: str


class OperatorName(Out):
    name: str
    source: str
    first_seen: datetime


class LinkedOperator(Out):
    link_id: int
    relation: Literal["predecessor", "successor"]
    id: uuid.UUID
    name: str
    p5_number: str | None
    note: str | None
    created_at: datetime


class LineOperator(Out):
    id: uuid.UUID
    name: str
    p5_number: str | None


class CountyActivity(Out):
    county_code: str
    county: str | None
    district: str | None
    permits: int
    last_issued: date | None


class MonthCount(Out):
    month: date
    filing_purpose: str
    wellbore_profile: str
    permits: int


class P5Entry(Out):
    name: str
    status: str
    organization: str | None
    seen_at: datetime = Field(description="publication of the P-5 file this comes from")


class Activity(Out):
    """What a set of operators did (one operator with its line, or a group)."""
    permits: int
    horizontal: int
    horizontal_share: float | None
    median_depth: float | None
    judged: int = Field(description="permits issued at least 180 days ago: old enough to say whether they spud")
    spudded: int
    spud_rate: float | None
    pending: int
    wells: int = Field(description="wells (API numbers) whose newest permit is this operator's")
    wells_spudded: int
    wells_completed: int
    first_issued: date | None
    last_issued: date | None
    counties: list[CountyActivity]
    districts: list[str]
    monthly: list[MonthCount]


class OperatorProfile(Activity):
    id: uuid.UUID
    p5_number: str | None
    name: str
    p5: P5Entry | None = Field(description="the RRC P-5 organization file's entry, when loaded")
    names: list[OperatorName]
    lineage: list[LinkedOperator]
    line: list[LineOperator] = Field(description="the predecessors and successors counted in these figures (follow_line)")
    follow_line: bool


class GroupProfile(Activity):
    id: uuid.UUID
    name: str
    operators: list[WatchedOperator] = Field(description="the operators the group counts as one competitor")


class TimelineEvent(Out):
    id: int
    kind: str
    published_at: datetime
    status_number: str
    lease_name: str | None
    well_number: str | None
    county: str | None
    filing_purpose: str | None
    detail: str | None


class OperatorTimeline(Out):
    items: list[TimelineEvent]
    next_before: int | None


class PeerRow(Out):
    who: uuid.UUID = Field(description="an operator id, or a group id when is_group")
    is_group: bool
    name: str
    p5_number: str | None
    permits: int
    previous: int | None
    share: float | None
    horizontal_share: float | None
    median_depth: float | None
    judged: int
    spudded: int
    spud_rate: float | None
    median_days_to_spud: float | None


class SeriesPoint(Out):
    who: uuid.UUID
    month: date
    permits: int


class LikelySame(Out):
    a: uuid.UUID
    a_name: str
    b: uuid.UUID
    b_name: str
    score: float = Field(description="name similarity 0-100 after normalising spelling and legal suffixes")


class Comparison(Out):
    place: str
    kind: Literal["county", "district", "area"]
    value: str
    start: date
    end: date
    previous_start: date
    previous_end: date
    judged_before: date = Field(description="permits issued on or before this day count towards spud figures")
    rows: list[PeerRow]
    series: list[SeriesPoint]
    likely_same: list[LikelySame] = Field(description="ranked operators whose names look like one company: for review, never merged")


# ---- exports --------------------------------------------------------------------------------
ListOf = Annotated[list[Annotated[str, StringConstraints(max_length=64)]] | None, Field(max_length=300)]


class SearchSpec(In):
    """The parameters of GET /v1/permits, as a search to export."""
    counties: ListOf = None
    districts: ListOf = None
    filing_purposes: ListOf = None
    profiles: ListOf = None
    statuses: ListOf = None
    operator_ids: ListOf = None
    operator_groups: ListOf = None
    depth_min: int | None = Field(default=None, ge=0, le=60_000)
    depth_max: int | None = Field(default=None, ge=0, le=60_000)
    issued_from: date | None = None
    issued_to: date | None = None
    q: str | None = Field(default=None, max_length=100, description="status or API number, or part of a lease name")
    bbox: str | None = Field(default=None, max_length=200, description="min_lon,min_lat,max_lon,max_lat")
    area: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon or MultiPolygon")
    aoi: uuid.UUID | None = Field(default=None, description="one of your areas (its buffer unless buffer_m is given)")
    buffer_m: int | None = Field(default=None, ge=0, le=50_000)
    sort: Literal["issued_desc", "issued_asc", "filed_desc", "depth_desc"] = "issued_desc"


class ExportIn(In):
    kind: Literal["permits", "areas"] = Field(description="permits (of a search, a watchlist or an operator) or the workspace's areas")
    format: Literal["csv", "xlsx", "geojson", "kml", "shapefile"]
    columns: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(
        default=None, max_length=40, description="permit columns in order (GET /v1/exports/columns); provenance is always included")
    search: SearchSpec | None = None
    watchlist_id: uuid.UUID | None = None
    operator_id: uuid.UUID | None = None


class ExportOut(Out):
    id: uuid.UUID
    kind: str
    format: str
    title: str
    status: Literal["queued", "running", "completed", "failed", "expired"]
    progress: float = Field(description="0 to 1")
    rows_expected: int | None
    row_count: int | None
    error: str | None
    file_name: str | None
    size_bytes: int | None
    attempts: int
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    download_url: str | None = Field(description="a signed link, until the file expires")
    attachment_name: str | None = Field(default=None, description="a report's workbook (the same tables, every row)")
    attachment_url: str | None = Field(default=None, description="the workbook's signed link, until it expires")
    aoi_id: uuid.UUID | None = Field(default=None, description="the area of an activity report")


class ExportColumn(Out):
    key: str
    label: str
    default: bool


# ---- AOI Activity Reports -----------------------------------------------------------------
Email = Annotated[str, StringConstraints(min_length=3, max_length=254, strip_whitespace=True)]


class ReportIn(In):
    aoi_id: uuid.UUID = Field(description="one of the workspace's areas")
    start: date = Field(description="first day of the period (your time zone)")
    end: date = Field(description="last day of the period, included; not after today")
    recipients: list[Email] = Field(default_factory=list, max_length=10, description="e-mail the report to these addresses too")


class ReportScheduleIn(In):
    aoi_id: uuid.UUID
    cadence: Literal["weekly", "monthly"] = Field(description="weekly: the week before the send day; monthly: the month before, sent on the 1st")
    weekday: int = Field(default=0, ge=0, le=6, description="weekly only: 0 Monday ... 6 Sunday")
    send_at: str = Field(default="07:00", pattern=HHMM, description="HH:MM in the schedule's time zone")
    timezone: str | None = Field(default=None, max_length=64, description="IANA time zone; default: yours")
    recipients: list[Email] = Field(min_length=1, max_length=10)
    enabled: bool = True


class ReportSchedulePatch(In):
    cadence: Literal["weekly", "monthly"] | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)
    send_at: str | None = Field(default=None, pattern=HHMM)
    timezone: str | None = Field(default=None, max_length=64)
    recipients: list[Email] | None = Field(default=None, min_length=1, max_length=10)
    enabled: bool | None = None


class ReportScheduleOut(Out):
    id: uuid.UUID
    aoi_id: uuid.UUID
    area_name: str
    cadence: Literal["weekly", "monthly"]
    weekday: int
    send_at: str
    timezone: str
    recipients: list[str]
    enabled: bool
    description: str = Field(description="when it sends and what it covers, in words")
    next_run_at: datetime
    last_run_at: datetime | None
    created_at: datetime


# ---- Pro API keys ------------------------------------------------------------------------
class ApiKeyIn(In):
    name: str = Field(min_length=1, max_length=120, examples=["Nightly sync"])
    scopes: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        min_length=1, max_length=10, description="permits:read, alerts:read, alerts:write, exports:write, webhooks:write",
        examples=[["permits:read", "alerts:read"]])
    expires_at: datetime | None = Field(default=None, description="optional; after it the key is refused", examples=["2027-06-30T23:59:59Z"])
    allowed_ips: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list, max_length=20, description="optional allow-list of addresses or CIDR networks", examples=[["203.0.113.0/24"]])


class ApiKeyRollIn(In):
    overlap_hours: int = Field(default=24, ge=0, le=168, description="how long the old key keeps working (0: it stops now)")


class ApiKeyOut(Out):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    scopes: list[str]
    expires_at: datetime | None
    allowed_ips: list[str] | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None
    created_at: datetime
    created_by: str | None
    replaced_by: uuid.UUID | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the key itself: shown this once, stored only as a hash")


class UsageKey(Out):
    id: uuid.UUID
    name: str
    prefix: str
    requests: int
    errors: int


class UsageDay(Out):
    day: date
    requests: int
    errors: int


class UsageOut(Out):
    month: str = Field(description="YYYY-MM (UTC)")
    quota: int | None = Field(description="requests a month for the workspace; null: no cap")
    used: int
    remaining: int | None
    rate_per_minute: int = Field(description="per key, over a sliding minute")
    burst_per_second: int = Field(description="per key")
    complete: bool = Field(description="false when the last few seconds' counts could not be read (Redis unreachable)")
    keys: list[UsageKey]
    days: list[UsageDay]
    deprecated_calls: list[DeprecatedCalls] = Field(default_factory=list, description="your keys' calls to deprecated operations (GET /v1/changelog)")


# ---- the change feed -----------------------------------------------------------------------
class FeedItem(Out):
    cursor: str = Field(description="this change's place in the feed")
    change_type: Literal["new", "amended", "status_changed", "location_changed", "spudded", "corrected", "filed", "approved", "left_pending"]
    details: dict[str, Any] | None = Field(description="what changed: field -> [before, after], or the evidence")
    published_at: datetime = Field(description="when the RRC published the file that said it")
    recorded_at: datetime = Field(description="when permitwatch recorded it")
    status_number: str
    version: int | None = Field(description="the filing sequence of the version that changed")
    source_file: str | None
    source_published_at: datetime | None
    permit: PermitSummary | None = Field(description="the permit as it stands now; null when no longer current (a filing since "
                                                     "approved under its own status number, whose approval is a change of its own)")


class FeedPage(Out):
    items: list[FeedItem]
    next_cursor: str = Field(description="pass as since= for the changes after these; keep it: it never skips or repeats")
    count: int
    more: bool = Field(description="true when the page was full: ask again at once")


class DeprecatedOut(Out):
    operation: str = Field(description="METHOD /path")
    since: datetime
    sunset: datetime = Field(description="when it stops answering")
    instead: str
    note: str


class Changelog(Out):
    deprecated: list[DeprecatedOut]


class DeprecatedCalls(Out):
    key_id: uuid.UUID
    operation: str
    calls: int


# ---- outbound webhooks -------------------------------------------------------------------------
WebhookEvent = Literal["alert.created", "permit.changed"]


class WebhookIn(In):
    url: str = Field(min_length=9, max_length=2000, description="an https:// URL on a public address",
                     examples=["https://hooks.example.com/permitwatch"])
    events: list[WebhookEvent] = Field(min_length=1, max_length=2, examples=[["alert.created"]])
    description: str = Field(default="", max_length=200)


class WebhookPatch(In):
    url: str | None = Field(default=None, min_length=9, max_length=2000)
    events: list[WebhookEvent] | None = Field(default=None, min_length=1, max_length=2)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = Field(default=None, description="false: nothing is sent (queued deliveries are dropped) until turned on")


class WebhookRotateIn(In):
    overlap_hours: int = Field(default=24, ge=0, le=168, description="how long deliveries are signed with the old secret too")


class WebhookOut(Out):
    id: uuid.UUID
    url: str
    description: str
    events: list[WebhookEvent]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    previous_until: datetime | None = Field(description="while set, deliveries carry a second signature made with the previous secret")
    last_status: Literal["sent", "failed", "dead", "sending", "pending"] | None = Field(description="the latest delivery's state")
    last_delivery_at: datetime | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="the signing secret (whsec_...): shown this once; check each delivery's signature with it")


class WebhookSecret(Out):
    secret: str = Field(description="the new signing secret: shown this once")
    previous_until: datetime | None


class WebhookTestOut(Out):
    delivery_id: int
    event_id: str


class WebhookTry(Out):
    attempted_at: datetime
    address: str | None = Field(description="the address connected to")
    status_code: int | None = Field(description="the receiver's HTTP status; null when none came")
    duration_ms: int
    error: str | None


class WebhookDelivery(Out):
    id: int
    event_id: str = Field(description="the Permitwatch-Event-Id header and the body's id")
    event_type: Literal["alert.created", "permit.changed", "ping"]
    status: Literal["pending", "sending", "sent", "failed", "dead"]
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None = Field(description="when the next try is due, while one is")
    last_error: str | None
    changes: int = Field(description="permit changes in a permit.changed event")
    tries: list[WebhookTry]


class WebhookEventType(Out):
    name: str
    description: str


# ---- the audit log ------------------------------------------------------------------------------
class AuditEntry(Out):
    id: int
    at: datetime
    action: str = Field(description="the action's code, e.g. webhook.created")
    what: str = Field(description="the action in words")
    actor_id: uuid.UUID | None
    actor_name: str | None = Field(description="who did it; null for an API key's or the system's action, or a former member")
    entity_type: str | None
    entity_id: str | None
    details: dict[str, Any]


class AuditPage(Out):
    items: list[AuditEntry]
    next_before: int | None = Field(description="pass as before= for older entries; null at the end")


class AuditAction(Out):
    action: str
    what: str


class AuditPerson(Out):
    id: uuid.UUID
    name: str


class AuditChoices(Out):
    actions: list[AuditAction]
    people: list[AuditPerson]


# ---- billing ----------------------------------------------------------------------------------
class PlanName(Out):
    code: Literal["trial", "basic", "pro"]
    name: str
    price: str | None = Field(description="a month, in dollars; none for the trial")


class AddOnHeld(Out):
    code: str
    name: str
    quantity: int
    unit: str
    price: str = Field(description="a month, for this quantity")


class NextInvoice(Out):
    amount_cents: int
    amount: str
    on: datetime


class UsageLine(Out):
    limit: str
    label: str
    used: int
    allowed: int


class LimitNotice(Out):
    limit: str
    level: Literal["near", "reached"] = Field(description="near: 80% or more used; reached: all used")
    message: str


class AlertsByChannel(Out):
    sms: int
    email: int
    in_app: int
    webhook: int


class ValueDelivered(Out):
    permits_matched: int
    alerts_sent: int
    alerts_opened: int
    median_minutes_after_rrc: float | None = Field(description="from the RRC publishing a permit to its alert leaving permitwatch")
    operators_tracked: int
    exports_made: int


class BillingOut(Out):
    plan: PlanName
    status: Literal["trialing", "active", "past_due", "canceled", "comped"]
    standing: Literal["trial", "paid", "grace", "lapsed"] = Field(description="lapsed: read-only, texts and e-mails paused")
    message: str | None = Field(description="what to show in the banner, in words")
    days_left: int | None
    until: datetime | None = Field(description="trial end, grace end, or when a cancelled subscription ends")
    cancel_at_period_end: bool
    addons: list[AddOnHeld]
    next_invoice: NextInvoice | None = Field(description="an estimate from the plan, add-ons and text messages beyond the plan so far")
    usage: list[UsageLine]
    notices: list[LimitNotice]
    alerts_by_channel: AlertsByChannel = Field(description="alerts sent this month")
    sms_beyond_plan: int
    sms_beyond_plan_cost: str | None
    has_subscription: bool
    has_customer: bool
    value: ValueDelivered | None = Field(description="during the trial: what it has delivered so far")


class PlanLimits(Out):
    areas: int
    alert_rules: int
    seats: int
    sms_per_month: int
    email_per_month: int
    exports_per_day: int
    api_calls_per_month: int


class PlanOffer(Out):
    code: Literal["basic", "pro"]
    name: str
    price: str
    cents_per_month: int
    summary: str
    limits: PlanLimits
    features: list[str]


class AddOnOffer(Out):
    code: str
    name: str
    price: str
    unit: str
    plans: list[str]


class Catalogue(Out):
    trial_days: int
    plans: list[PlanOffer]
    addons: list[AddOnOffer]
    sms_beyond_plan: str


class CheckoutIn(In):
    plan: Literal["basic", "pro"]
    addons: dict[Annotated[str, StringConstraints(max_length=40)], Annotated[int, Field(ge=0, le=20)]] = Field(
        default_factory=dict, max_length=10, description="add-on code -> quantity, e.g. {\"sms_pack\": 1}")


class RedirectOut(Out):
    url: str = Field(description="open this page (Stripe Checkout or the Customer Portal)")


class StripeReceived(Out):
    applied: bool = Field(description="false for a repeat or an event type permitwatch does not act on")


# ---- product metrics ----------------------------------------------------------------------------
class Opened(Out):
    counted: bool = Field(description="true the first time this alert was opened")


class ProductWeek(Out):
    week_start: date
    computed_at: datetime
    alerts_opened: int
    actionable_alerts_opened: int
    active_accounts: int
    actionable_per_active_account: float = Field(description="the North Star: weekly actionable alerts opened per active account")
    signups: int
    activation_rate: float | None = Field(description="sign-ups whose first session made an area or saved search")
    trials_ended: int
    trial_to_paid_rate: float | None


class ProductMetrics(Out):
    weeks: list[ProductWeek]
    definitions: dict[str, str]
