"""PURE alert rules: what a rule says, and what makes it workable (`validate`). Storing
rules and their audit trail is `rule_store`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import time

from services.alerting.schedule import ScheduleError, parse_quiet_hours, zone
from services.errors import InvalidInput, Missing

# An approved permit is new to everyone who does not follow filings: `approved` is the
# daily file's `new` for a permit whose filing was seen pending first.
NOTIFY_ON = {
    "new_only": ("new", "approved"),
    "new_and_amendments": ("new", "approved", "amended"),
    "all_changes": ("new", "approved", "amended", "status_changed", "location_changed", "spudded", "corrected"),
}
# "Notify on filings": applications pending approval, a day or more before the approved file,
# and word when one leaves the pending list without approval.
FILING_TYPES = ("filed", "left_pending")
CHANNELS = ("sms", "email", "in_app")
DIGEST_MODES = ("none", "daily", "weekly")


class RuleError(InvalidInput):
    """A rule that cannot work; the message says what to fix."""


class RuleNotFound(RuleError, Missing):
    """No such rule in the workspace in context."""


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
    notify_on_filings: bool = False
    new_acreage_only: bool = False  # watchlist rules: only an operator's first permit in ground new to it


# Why a channel cannot reach a person now, as SQL over `users u` (a STOP reply before a pause).
SMS_PAUSED_SQL = "CASE WHEN u.sms_opted_out_at IS NOT NULL THEN 'the number replied STOP' ELSE u.sms_paused_reason END"
EMAIL_PAUSED_SQL = "u.email_paused_reason"


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    email_verified: bool
    phone: str | None
    phone_verified: bool
    sms_paused: str | None = None  # why texts to this person stop (STOP, an undeliverable number)
    email_paused: str | None = None  # why e-mail to this person stops (a hard bounce)


@dataclass
class RuleContext:
    """Facts from the database the pure check needs."""

    aoi: dict | None = None  # {"valid": bool, "empty": bool, "area_km2": float}
    saved_search_exists: bool = False
    watchlist_size: int | None = None
    members: dict[uuid.UUID, Member] = field(default_factory=dict)


MAX_AOI_KM2 = 50_000.0  # about two Permian counties; larger areas belong to a saved search by county


def change_types_for(spec: RuleSpec) -> list[str]:
    allowed = NOTIFY_ON[spec.notify_on] + (FILING_TYPES if spec.notify_on_filings else ())
    return [t for t in allowed if not spec.change_types or t in spec.change_types]


def validate(spec: RuleSpec, ctx: RuleContext) -> None:
    if not spec.name.strip():
        raise RuleError("give the rule a name")
    if not (spec.aoi_id or spec.saved_search_id or spec.watchlist_id):
        raise RuleError("a rule needs a target: an area of interest, a saved search or an operator watchlist")
    if spec.new_acreage_only and not spec.watchlist_id:
        raise RuleError("\"only new ground\" follows watched operators: pick a watchlist for this rule")
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
