"""PURE. The catalogue: plans and add-ons with their prices and what they include, in one
place. Stripe's products and prices are made from this (`permitwatch billing catalog`) and
found again by their lookup keys, so a price id is never configured by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

TRIAL_DAYS = 14
GRACE_DAYS = 7  # a failed payment keeps everything running this long
NOTICE_AT = 0.8  # a limit used this far shows a notice
CURRENCY = "usd"


@dataclass(frozen=True)
class Limits:
    """Per workspace. None: no limit of that kind."""

    areas: int
    alert_rules: int
    seats: int
    sms_per_month: int
    email_per_month: int
    exports_per_day: int
    api_calls_per_month: int  # 0: no API


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    cents_per_month: int
    limits: Limits
    features: frozenset[str]
    summary: str
    lookup_key: str | None = None  # None: not sold (the trial)
    sms_overage_cap: int = 0  # SMS a month beyond the included ones, each billed


@dataclass(frozen=True)
class AddOn:
    code: str
    name: str
    cents_per_month: int
    adds: dict[str, int]
    plans: tuple[str, ...]
    lookup_key: str
    unit: str


@dataclass(frozen=True)
class Metered:
    code: str
    name: str
    cents_each: float
    lookup_key: str
    meter_event: str


# Features a plan may lack; anything else every plan has.
API = "api"  # API keys and the Pro REST API
WEBHOOKS = "webhooks"  # outbound webhooks
FEATURE_NAMES = {API: "The REST API", WEBHOOKS: "Outbound webhooks"}

PLANS: dict[str, Plan] = {
    "trial": Plan("trial", "Trial", 0, Limits(areas=25, alert_rules=50, seats=5, sms_per_month=200, email_per_month=5_000,
                                             exports_per_day=20, api_calls_per_month=10_000),
                  frozenset({API, WEBHOOKS}), f"Everything in Pro for {TRIAL_DAYS} days, no card needed"),
    "basic": Plan("basic", "Basic", 9_900, Limits(areas=25, alert_rules=50, seats=3, sms_per_month=300, email_per_month=10_000,
                                                 exports_per_day=20, api_calls_per_month=0),
                  frozenset(), "Areas, filters, SMS and e-mail alerts, operator pages, exports and reports",
                  lookup_key="permitwatch_basic_monthly", sms_overage_cap=300),
    "pro": Plan("pro", "Pro", 24_900, Limits(areas=200, alert_rules=500, seats=10, sms_per_month=1_000, email_per_month=50_000,
                                            exports_per_day=100, api_calls_per_month=100_000),
                frozenset({API, WEBHOOKS}), "Everything in Basic, more of it, plus the REST API and webhooks",
                lookup_key="permitwatch_pro_monthly", sms_overage_cap=1_000),
}
SOLD = ("basic", "pro")

ADDONS: dict[str, AddOn] = {
    "sms_pack": AddOn("sms_pack", "SMS pack", 1_500, {"sms_per_month": 500}, ("basic", "pro"),
                      "permitwatch_sms_pack_monthly", "500 more text messages a month"),
    "api_pack": AddOn("api_pack", "API pack", 4_900, {"api_calls_per_month": 100_000}, ("pro",),
                      "permitwatch_api_pack_monthly", "100,000 more API calls a month"),
}
MAX_ADDON_QUANTITY = 20

SMS_OVERAGE = Metered("sms_overage", "Text messages beyond the plan", 4.0, "permitwatch_sms_overage", "permitwatch_sms_sent")


@dataclass(frozen=True)
class Choice:
    """A plan with add-on quantities: what a checkout buys or a subscription holds."""

    plan: str
    addons: dict[str, int] = field(default_factory=dict)


class ChoiceError(ValueError):
    def __init__(self, field_name: str, detail: str):
        super().__init__(detail)
        self.field, self.detail = field_name, detail


def check_choice(choice: Choice) -> Choice:
    if choice.plan not in SOLD:
        raise ChoiceError("plan", f"choose one of: {', '.join(SOLD)}")
    kept = {}
    for code, qty in choice.addons.items():
        addon = ADDONS.get(code)
        if addon is None:
            raise ChoiceError("addons", f"no add-on called {code!r}; there are: {', '.join(ADDONS)}")
        if not 0 <= qty <= MAX_ADDON_QUANTITY:
            raise ChoiceError("addons", f"{addon.name}: between 0 and {MAX_ADDON_QUANTITY}")
        if qty and choice.plan not in addon.plans:
            raise ChoiceError("addons", f"the {addon.name} goes with {' or '.join(PLANS[p].name for p in addon.plans)}")
        if qty:
            kept[code] = qty
    return Choice(choice.plan, kept)


def monthly_cents(choice: Choice) -> int:
    return PLANS[choice.plan].cents_per_month + sum(ADDONS[c].cents_per_month * q for c, q in choice.addons.items())


def line_items(choice: Choice) -> list[tuple[str, int]]:
    """(lookup key, quantity) per subscription item, the plan first."""
    return [(PLANS[choice.plan].lookup_key, 1), *((ADDONS[c].lookup_key, q) for c, q in sorted(choice.addons.items()))]


def choice_from_items(items: list[tuple[str | None, int]]) -> Choice | None:
    """What a subscription's items (price lookup key, quantity) hold; None when no plan."""
    by_key = {p.lookup_key: p.code for p in PLANS.values() if p.lookup_key}
    addon_by_key = {a.lookup_key: a.code for a in ADDONS.values()}
    plan, addons = None, {}
    for key, qty in items:
        if key in by_key:
            plan = by_key[key]
        elif key in addon_by_key:
            addons[addon_by_key[key]] = addons.get(addon_by_key[key], 0) + qty
    return Choice(plan, addons) if plan else None


def cheapest_with(feature: str | None = None, limit: str | None = None, at_least: int = 0) -> Plan | None:
    """The cheapest plan on sale that has the feature, or a limit of at least this much."""
    for code in sorted(SOLD, key=lambda c: PLANS[c].cents_per_month):
        plan = PLANS[code]
        if feature is not None and feature not in plan.features:
            continue
        if limit is not None and getattr(plan.limits, limit) < at_least:
            continue
        return plan
    return None


def dollars(cents: float) -> str:
    return f"${cents / 100:,.2f}".replace(".00", "") if cents >= 100 else f"{cents:g}¢"
