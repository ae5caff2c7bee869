"""The Billing screen's facts: plan, standing, next invoice, this month's usage against each
limit with the notices, and, during a trial, the value delivered so far."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime, timedelta

import psycopg

from services.billing import notices
from services.entitlements import checks as account
from services.entitlements.decide import LIMIT_WORDS, entitlements
from services.entitlements.decide import notices as limit_notices
from services.entitlements.plans import ADDONS, PLANS, SMS_OVERAGE, TRIAL_DAYS, Choice, dollars, monthly_cents

ORDER = ("areas", "alert_rules", "seats", "sms_per_month", "email_per_month", "exports_per_day", "api_calls_per_month")


def build(cur: psycopg.Cursor, ws: uuid.UUID, now: datetime) -> dict:
    b = account.load(cur, ws)
    ent = entitlements(b, now)
    used = account.usage(cur, ws, now)
    if ent.limits.api_calls_per_month == 0:
        used.pop("api_calls_per_month")
    st = ent.standing
    overage = max(0, used["sms_per_month"] - ent.limits.sms_per_month) if ent.plan.lookup_key and st.reason != "comped" else 0
    next_invoice = None
    if b.status == "active" and not b.cancel_at_period_end and b.current_period_end and ent.plan.lookup_key:
        cents = monthly_cents(Choice(b.plan, b.addons)) + overage * SMS_OVERAGE.cents_each
        next_invoice = {"amount_cents": round(cents), "amount": dollars(cents), "on": b.current_period_end}
    customer = cur.execute("SELECT stripe_customer_id IS NOT NULL FROM workspaces WHERE id = %s", (ws,)).fetchone()[0]
    value = None
    if st.state == "trial" or st.reason == "trial_ended":
        value = asdict(notices.value(cur, ws, (b.trial_ends_at or now) - timedelta(days=TRIAL_DAYS)))
    return {
        "plan": {"code": ent.plan.code, "name": ent.plan.name, "price": dollars(ent.plan.cents_per_month) if ent.plan.cents_per_month else None},
        "status": b.status, "standing": st.state, "message": st.message, "days_left": st.days_left, "until": st.until,
        "cancel_at_period_end": b.cancel_at_period_end,
        "addons": [{"code": c, "name": ADDONS[c].name, "quantity": q, "unit": ADDONS[c].unit,
                    "price": dollars(ADDONS[c].cents_per_month * q)} for c, q in sorted(b.addons.items()) if c in ADDONS],
        "next_invoice": next_invoice,
        "usage": [{"limit": n, "label": LIMIT_WORDS[n], "used": used[n], "allowed": getattr(ent.limits, n)} for n in ORDER if n in used],
        "notices": [{"limit": x.limit, "level": x.level, "message": x.message} for x in limit_notices(ent, used)],
        "alerts_by_channel": account.alerts_by_channel(cur, ws, now),
        "sms_beyond_plan": overage, "sms_beyond_plan_cost": dollars(overage * SMS_OVERAGE.cents_each) if overage else None,
        "has_subscription": b.status in ("active", "past_due"), "has_customer": bool(customer),
        "value": value,
    }


def catalogue() -> dict:
    return {
        "trial_days": TRIAL_DAYS,
        "plans": [{"code": p.code, "name": p.name, "price": dollars(p.cents_per_month), "cents_per_month": p.cents_per_month,
                   "summary": p.summary, "limits": asdict(p.limits), "features": sorted(p.features)}
                  for p in PLANS.values() if p.lookup_key],
        "addons": [{"code": a.code, "name": a.name, "price": dollars(a.cents_per_month), "unit": a.unit, "plans": list(a.plans)}
                   for a in ADDONS.values()],
        "sms_beyond_plan": f"{dollars(SMS_OVERAGE.cents_each)} each",
    }
