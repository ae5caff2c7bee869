"""Alert rules: what makes a rule workable (PURE `validate`), and storing rule edits with
their audit trail (under the workspace's RLS context)."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import time

import psycopg

from services.alerting.schedule import ScheduleError, parse_quiet_hours, zone

NOTIFY_ON = {
    "new_only": ("new",),
    "new_and_amendments": ("new", "amended"),
    "all_changes": ("new", "amended", "status_changed", "location_changed", "spudded", "corrected"),
}
CHANNELS = ("sms", "email", "in_app")
DIGEST_MODES = ("none", "daily", "weekly")


class RuleError(ValueError):
    """A rule that cannot work; the message says what to fix."""


@dataclass
class RuleSpec:
    name: str
    aoi_id: uuid.UUID | None = None
    saved_search_id: uuid.UUID | None = None
    watchlist_id: uuid.UUID | None = None
    notify_on: str = "new_only"
    change_types: list[str] | None = None  # narrows notify_on
    channels: dict[str, bool] = field(default_factory=lambda: {"in_app": True})
    recipients: list[uuid.UUID] = field(default_factory=list)
    quiet_hours: dict | None = None
    timezone: str = "America/Chicago"
    digest_mode: str = "none"
    digest_at: str = "07:00"
    digest_weekday: int = 0
    enabled: bool = True


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    email_verified: bool
    phone: str | None
    phone_verified: bool


@dataclass
class RuleContext:
    """Facts from the database the pure check needs."""

    aoi: dict | None = None  # {"valid": bool, "empty": bool, "area_km2": float}
    saved_search_exists: bool = False
    watchlist_size: int | None = None
    members: dict[uuid.UUID, Member] = field(default_factory=dict)


MAX_AOI_KM2 = 50_000.0  # about two Permian counties; larger areas belong to a saved search by county


def change_types_for(spec: RuleSpec) -> list[str]:
    allowed = NOTIFY_ON[spec.notify_on]
    return [t for t in allowed if not spec.change_types or t in spec.change_types]


def validate(spec: RuleSpec, ctx: RuleContext) -> None:
    if not spec.name.strip():
        raise RuleError("give the rule a name")
    if not (spec.aoi_id or spec.saved_search_id or spec.watchlist_id):
        raise RuleError("a rule needs a target: an area of interest, a saved search or an operator watchlist")
    if spec.aoi_id:
        if ctx.aoi is None:
            raise RuleError(f"area of interest {spec.aoi_id} does not exist in this workspace")
        if ctx.aoi["empty"] or not ctx.aoi["valid"]:
            raise RuleError("the area of interest is empty or not a valid polygon; redraw it")
        if ctx.aoi["area_km2"] > MAX_AOI_KM2:
            raise RuleError(f"the area of interest is {ctx.aoi['area_km2']:,.0f} km2, over the {MAX_AOI_KM2:,.0f} km2 limit; "
                            "use a saved search by county or district for large areas")
    if spec.saved_search_id and not ctx.saved_search_exists:
        raise RuleError(f"saved search {spec.saved_search_id} does not exist in this workspace")
    if spec.watchlist_id and ctx.watchlist_size is None:
        raise RuleError(f"watchlist {spec.watchlist_id} does not exist in this workspace")
    if spec.watchlist_id and ctx.watchlist_size == 0:
        raise RuleError("the operator watchlist is empty; add operators to it first")
    if spec.notify_on not in NOTIFY_ON:
        raise RuleError(f"notify_on must be one of {', '.join(NOTIFY_ON)}")
    if spec.change_types and not change_types_for(spec):
        raise RuleError(f"none of the change types {spec.change_types} is covered by notify_on={spec.notify_on}")
    _validate_delivery(spec, ctx)


def _validate_delivery(spec: RuleSpec, ctx: RuleContext) -> None:
    unknown = set(spec.channels) - set(CHANNELS)
    if unknown:
        raise RuleError(f"unknown channel(s) {sorted(unknown)}; channels are {', '.join(CHANNELS)}")
    if not any(spec.channels.values()):
        raise RuleError("choose at least one channel: sms, email or in_app")
    if not spec.recipients:
        raise RuleError("choose at least one recipient from the workspace's members")
    strangers = [str(r) for r in spec.recipients if r not in ctx.members]
    if strangers:
        raise RuleError(f"recipient(s) {strangers} are not members of this workspace")
    people = [ctx.members[r] for r in spec.recipients]
    if spec.channels.get("sms") and not any(m.phone and m.phone_verified for m in people):
        raise RuleError("SMS needs a recipient with a verified phone number; verify one or turn SMS off")
    if spec.channels.get("email") and not any(m.email_verified for m in people):
        raise RuleError("email needs a recipient with a verified email address; verify one or turn email off")
    try:
        zone(spec.timezone)
        parse_quiet_hours(spec.quiet_hours)
    except ScheduleError as exc:
        raise RuleError(str(exc)) from None
    if spec.digest_mode not in DIGEST_MODES:
        raise RuleError(f"digest mode must be one of {', '.join(DIGEST_MODES)}")
    try:
        time.fromisoformat(spec.digest_at)
    except ValueError:
        raise RuleError(f"digest time {spec.digest_at!r} is not HH:MM") from None
    if spec.digest_weekday not in range(7):
        raise RuleError("digest weekday must be 0 (Monday) to 6 (Sunday)")


# ---- storage (the caller's unit of work sets the workspace context) -----------------------

def load_context(cur: psycopg.Cursor, spec: RuleSpec) -> RuleContext:
    ctx = RuleContext()
    if spec.aoi_id:
        row = cur.execute("SELECT ST_IsValid(geom), ST_IsEmpty(geom), ST_Area(geom::geography) / 1e6 FROM aois WHERE id = %s",
                          (spec.aoi_id,)).fetchone()
        ctx.aoi = {"valid": row[0], "empty": row[1], "area_km2": row[2]} if row else None
    if spec.saved_search_id:
        ctx.saved_search_exists = cur.execute("SELECT 1 FROM saved_searches WHERE id = %s", (spec.saved_search_id,)).fetchone() is not None
    if spec.watchlist_id:
        row = cur.execute("SELECT (SELECT count(*) FROM operator_watchlist_items i WHERE i.watchlist_id = w.id) "
                          "FROM operator_watchlists w WHERE w.id = %s", (spec.watchlist_id,)).fetchone()
        ctx.watchlist_size = row[0] if row else None
    for uid, email, ev, phone, pv in cur.execute(
            "SELECT u.id, u.email, u.email_verified_at IS NOT NULL, u.phone, u.phone_verified_at IS NOT NULL "
            "FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.disabled_at IS NULL").fetchall():
        ctx.members[uid] = Member(uid, email, ev, phone, pv)
    return ctx


def save(cur: psycopg.Cursor, workspace_id: uuid.UUID, spec: RuleSpec, *, actor: uuid.UUID | None,
         rule_id: uuid.UUID | None = None) -> uuid.UUID:
    validate(spec, load_context(cur, spec))
    values = {**asdict(spec), "channels": json.dumps(spec.channels), "quiet_hours": json.dumps(spec.quiet_hours) if spec.quiet_hours else None,
              "change_types": spec.change_types, "recipients": list(spec.recipients)}
    cols = ["name", "enabled", "aoi_id", "saved_search_id", "watchlist_id", "notify_on", "change_types", "channels",
            "quiet_hours", "timezone", "digest_mode", "digest_at", "digest_weekday", "recipients"]
    if rule_id is None:
        rule_id = cur.execute(
            f"INSERT INTO alert_rules (workspace_id, created_by, {', '.join(cols)}) "
            f"VALUES (%(ws)s, %(actor)s, {', '.join('%(' + c + ')s' for c in cols)}) RETURNING id",
            {**values, "ws": workspace_id, "actor": actor}).fetchone()[0]
        action = "alert_rule.created"
    else:
        cur.execute(f"UPDATE alert_rules SET {', '.join(f'{c} = %({c})s' for c in cols)}, updated_at = now() WHERE id = %(id)s",
                    {**values, "id": rule_id})
        if cur.rowcount != 1:
            raise RuleError(f"alert rule {rule_id} does not exist in this workspace")
        action = "alert_rule.updated"
    audit(cur, workspace_id, actor, action, "alert_rule", rule_id, {"rule": _jsonable(values)})
    return rule_id


def set_enabled(cur: psycopg.Cursor, workspace_id: uuid.UUID, rule_id: uuid.UUID, enabled: bool, *, actor: uuid.UUID | None) -> None:
    cur.execute("UPDATE alert_rules SET enabled = %s, updated_at = now() WHERE id = %s", (enabled, rule_id))
    if cur.rowcount != 1:
        raise RuleError(f"alert rule {rule_id} does not exist in this workspace")
    audit(cur, workspace_id, actor, "alert_rule.enabled" if enabled else "alert_rule.disabled", "alert_rule", rule_id, {})


def delete(cur: psycopg.Cursor, workspace_id: uuid.UUID, rule_id: uuid.UUID, *, actor: uuid.UUID | None) -> None:
    cur.execute("DELETE FROM alert_rules WHERE id = %s", (rule_id,))
    if cur.rowcount != 1:
        raise RuleError(f"alert rule {rule_id} does not exist in this workspace")
    audit(cur, workspace_id, actor, "alert_rule.deleted", "alert_rule", rule_id, {})


def audit(cur: psycopg.Cursor, workspace_id, actor, action: str, entity_type: str, entity_id, metadata: dict) -> None:
    cur.execute("INSERT INTO audit_log (workspace_id, actor_user_id, action, entity_type, entity_id, metadata) "
                "VALUES (%s, %s, %s, %s, %s, %s)", (workspace_id, actor, action, entity_type, str(entity_id), json.dumps(metadata)))


def _jsonable(values: dict) -> dict:
    return json.loads(json.dumps(values, default=str))
