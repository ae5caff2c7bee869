"""PURE. What a workspace may do now: its plan's limits with add-ons and the operator's
overrides, its features, and where its billing stands (trial, paid, grace, lapsed). Every
caller (API, web app, evaluator, workers) asks here, so a decision is made one way."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta

from services.entitlements.plans import ADDONS, FEATURE_NAMES, GRACE_DAYS, NOTICE_AT, PLANS, Limits, Plan, cheapest_with
from services.errors import DomainError

STATUSES = ("trialing", "active", "past_due", "canceled", "comped")
LIMIT_WORDS = {"areas": "areas", "alert_rules": "alert rules", "seats": "members", "sms_per_month": "text messages this month",
               "email_per_month": "alert e-mails this month", "exports_per_day": "exports today",
               "api_calls_per_month": "API calls this month"}


@dataclass(frozen=True)
class Billing:
    """A workspace's billing row, as stored."""

    plan: str
    status: str
    trial_ends_at: datetime | None = None
    past_due_since: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    addons: dict[str, int] = field(default_factory=dict)
    overrides: dict[str, int | None] = field(default_factory=dict)  # WorkspaceQuota limits that replace the plan's


@dataclass(frozen=True)
class Standing:
    state: str  # trial | paid | grace | lapsed
    reason: str | None  # lapsed: trial_ended | payment_failed | canceled; paid: comped (not billed)
    until: datetime | None  # trial end, grace end, or a cancelled subscription's end
    days_left: int | None
    message: str | None  # the banner, in words; None when there is nothing to say

    @property
    def sends(self) -> bool:
        """Text messages, e-mails and webhooks go out (in-app alerts always do)."""
        return self.state != "lapsed"

    @property
    def writable(self) -> bool:
        return self.state != "lapsed"


@dataclass(frozen=True)
class Entitlements:
    plan: Plan
    standing: Standing
    limits: Limits
    features: frozenset[str]

    def has(self, feature: str) -> bool:
        return feature in self.features


class PaymentRequired(DomainError):
    """Answered 402: the plan does not include this, or the workspace is read-only."""

    def __init__(self, slug: str, title: str, detail: str, plan: Plan | None):
        super().__init__(detail)
        self.slug, self.title, self.detail, self.plan = slug, title, detail, plan


def _day(at: datetime) -> str:
    return f"{at:%B} {at.day}, {at.year}"


def _days_left(until: datetime, now: datetime) -> int:
    return max(0, math.ceil((until - now) / timedelta(days=1)))


def standing(b: Billing, now: datetime) -> Standing:
    if b.status == "comped":  # given by the platform's operator, not billed
        return Standing("paid", "comped", None, None, None)
    if b.status == "trialing" or (b.status == "canceled" and b.trial_ends_at and b.trial_ends_at > now and b.plan == "trial"):
        end = b.trial_ends_at or now
        if end > now:
            left = _days_left(end, now)
            return Standing("trial", None, end, left, f"Trial: {left} day{'s' if left != 1 else ''} left (ends {_day(end)}). "
                                                     "Choose a plan to keep your alerts coming.")
        return Standing("lapsed", "trial_ended", end, 0, f"Your trial ended on {_day(end)}. The workspace is read-only and text "
                                                         "and e-mail alerts are paused (alerts still arrive in your inbox). "
                                                         "Choose a plan to turn them back on.")
    if b.status == "active":
        if b.cancel_at_period_end and b.current_period_end:
            return Standing("paid", None, b.current_period_end, _days_left(b.current_period_end, now),
                            f"Your subscription ends on {_day(b.current_period_end)}; renew it in Manage billing to keep alerts coming.")
        return Standing("paid", None, b.current_period_end, None, None)
    if b.status == "past_due":
        end = (b.past_due_since or now) + timedelta(days=GRACE_DAYS)
        if end > now:
            return Standing("grace", None, end, _days_left(end, now),
                            f"A payment failed. Alerts keep coming until {_day(end)}; update your card in Manage billing.")
        return Standing("lapsed", "payment_failed", end, 0, f"A payment failed and the grace period ended on {_day(end)}. The workspace "
                                                            "is read-only and text and e-mail alerts are paused (alerts still "
                                                            "arrive in your inbox). Update your card in Manage billing.")
    end = b.current_period_end
    return Standing("lapsed", "canceled", end, 0, "Your subscription has ended. The workspace is read-only and text and e-mail "
                                                 "alerts are paused (alerts still arrive in your inbox). Choose a plan to turn them back on.")


def limits_of(b: Billing) -> Limits:
    plan = PLANS[b.plan]
    values = {f.name: getattr(plan.limits, f.name) for f in fields(Limits)}
    for code, qty in b.addons.items():
        addon = ADDONS.get(code)
        if addon is not None and b.plan in addon.plans:
            for name, more in addon.adds.items():
                values[name] += more * qty
    for name, value in b.overrides.items():
        if value is not None and name in values:
            values[name] = value
    return replace(plan.limits, **values)


def entitlements(b: Billing, now: datetime) -> Entitlements:
    return Entitlements(PLANS[b.plan], standing(b, now), limits_of(b), PLANS[b.plan].features)


def sms_ceiling(ent: Entitlements) -> int:
    """Text messages a month that may go: the plan's, and on a paid plan as many again,
    each billed (services.billing.metering)."""
    billed = ent.standing.state in ("paid", "grace") and ent.standing.reason != "comped"
    extra = ent.plan.sms_overage_cap if billed and ent.plan.lookup_key else 0
    return ent.limits.sms_per_month + extra


def require_feature(ent: Entitlements, feature: str) -> None:
    if ent.has(feature):
        return
    better = cheapest_with(feature=feature)
    raise PaymentRequired("not-in-plan", f"{FEATURE_NAMES[feature]}: not in your plan",
                          f"{FEATURE_NAMES[feature]} come{'s' if not FEATURE_NAMES[feature].endswith('s') else ''} with the "
                          f"{better.name} plan; you are on {ent.plan.name}. Upgrade on the Billing page.", better)


def require_writable(ent: Entitlements) -> None:
    if not ent.standing.writable:
        raise PaymentRequired("read-only", "Workspace is read-only", ent.standing.message or "choose a plan on the Billing page",
                              ent.plan if ent.plan.lookup_key else cheapest_with())


def require_room(ent: Entitlements, limit: str, used: int, adding: int = 1) -> None:
    """Refuse what would take `limit` past the plan's number."""
    allowed = getattr(ent.limits, limit)
    if used + adding <= allowed:
        return
    better = cheapest_with(limit=limit, at_least=used + adding)
    more = f" The {better.name} plan allows {getattr(better.limits, limit):,}." if better and better.code != ent.plan.code else ""
    raise PaymentRequired("plan-limit", "Plan limit reached",
                          f"Your {ent.plan.name} plan allows {allowed:,} {LIMIT_WORDS[limit]}; you have {used:,}.{more}", better)


@dataclass(frozen=True)
class Notice:
    limit: str
    used: int
    allowed: int
    level: str  # near | reached
    message: str


def notices(ent: Entitlements, usage: dict[str, int]) -> list[Notice]:
    """Limits at 80% or more of what the plan allows, so they show before they bite."""
    out = []
    for name, used in usage.items():
        allowed = getattr(ent.limits, name, None)
        if not allowed or used < NOTICE_AT * allowed:
            continue
        reached = used >= allowed
        words = LIMIT_WORDS[name]
        message = (f"You have used all {allowed:,} {words}." if reached
                   else f"You have used {used:,} of {allowed:,} {words} ({used * 100 // allowed}%).")
        out.append(Notice(name, used, allowed, "reached" if reached else "near", message))
    return out
