"""Plans and entitlements: standing through a workspace's life, limits with add-ons and
overrides, the refusals' words, the 80% notices, and the catalogue's choices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.entitlements.decide import (
    Billing,
    PaymentRequired,
    entitlements,
    limits_of,
    notices,
    require_feature,
    require_room,
    require_writable,
    sms_ceiling,
    standing,
)
from services.entitlements.plans import (
    API,
    PLANS,
    WEBHOOKS,
    Choice,
    ChoiceError,
    check_choice,
    choice_from_items,
    line_items,
    monthly_cents,
)

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


def test_trial_counts_days_left_then_lapses_at_its_end():
    b = Billing("trial", "trialing", trial_ends_at=NOW + timedelta(days=13, hours=1))
    st = standing(b, NOW)
    assert (st.state, st.days_left, st.sends, st.writable) == ("trial", 14, True, True)
    assert "14 days left" in st.message and "December 12, 2026" in st.message
    ended = standing(b, NOW + timedelta(days=14))
    assert (ended.state, ended.reason, ended.sends, ended.writable) == ("lapsed", "trial_ended", False, False)
    assert "read-only" in ended.message and "inbox" in ended.message


def test_failed_payment_keeps_everything_for_seven_days_of_grace():
    b = Billing("basic", "past_due", past_due_since=NOW - timedelta(days=6, hours=23))
    st = standing(b, NOW)
    assert (st.state, st.sends, st.writable, st.days_left) == ("grace", True, True, 1)
    later = standing(b, NOW + timedelta(hours=2))
    assert (later.state, later.reason, later.sends) == ("lapsed", "payment_failed", False)


def test_cancelled_subscription_says_when_it_ends_and_lapses_when_canceled():
    ends = NOW + timedelta(days=10)
    st = standing(Billing("pro", "active", current_period_end=ends, cancel_at_period_end=True), NOW)
    assert st.state == "paid" and "ends on December 9, 2026" in st.message
    assert standing(Billing("pro", "canceled"), NOW).state == "lapsed"
    assert standing(Billing("pro", "comped"), NOW).reason == "comped"


def test_limits_add_packs_for_their_plans_and_overrides_win():
    b = Billing("basic", "active", addons={"sms_pack": 2, "api_pack": 3})
    limits = limits_of(b)
    assert limits.sms_per_month == PLANS["basic"].limits.sms_per_month + 1000
    assert limits.api_calls_per_month == 0  # the API pack goes with Pro only
    pro = limits_of(Billing("pro", "active", addons={"api_pack": 1}, overrides={"exports_per_day": 7, "sms_per_month": None}))
    assert pro.api_calls_per_month == 200_000 and pro.exports_per_day == 7 and pro.sms_per_month == 1000


def test_sms_ceiling_bills_beyond_the_plan_only_for_paying_workspaces():
    paying = entitlements(Billing("basic", "active"), NOW)
    assert sms_ceiling(paying) == 300 + PLANS["basic"].sms_overage_cap
    assert sms_ceiling(entitlements(Billing("pro", "comped"), NOW)) == 1000
    assert sms_ceiling(entitlements(Billing("trial", "trialing", trial_ends_at=NOW + timedelta(days=3)), NOW)) == 200


def test_basic_refuses_the_api_naming_pro():
    ent = entitlements(Billing("basic", "active"), NOW)
    with pytest.raises(PaymentRequired) as exc:
        require_feature(ent, API)
    assert exc.value.slug == "not-in-plan" and exc.value.plan.code == "pro"
    assert "Pro plan" in exc.value.detail and "Basic" in exc.value.detail
    require_feature(entitlements(Billing("trial", "trialing", trial_ends_at=NOW + timedelta(days=1)), NOW), WEBHOOKS)


def test_room_refusal_says_the_limit_and_the_plan_with_more():
    ent = entitlements(Billing("basic", "active"), NOW)
    require_room(ent, "seats", 2)
    with pytest.raises(PaymentRequired) as exc:
        require_room(ent, "seats", 3)
    assert exc.value.detail == "Your Basic plan allows 3 members; you have 3. The Pro plan allows 10."
    assert exc.value.plan.code == "pro"


def test_lapsed_workspace_is_refused_writes_with_the_banner_words():
    ent = entitlements(Billing("trial", "trialing", trial_ends_at=NOW - timedelta(days=1)), NOW)
    with pytest.raises(PaymentRequired) as exc:
        require_writable(ent)
    assert exc.value.slug == "read-only" and exc.value.detail == ent.standing.message and exc.value.plan.code == "basic"


def test_notices_start_at_eighty_percent():
    ent = entitlements(Billing("basic", "active"), NOW)
    got = notices(ent, {"areas": 19, "alert_rules": 40, "sms_per_month": 300, "exports_per_day": 0})
    assert [(n.limit, n.level) for n in got] == [("alert_rules", "near"), ("sms_per_month", "reached")]
    assert got[0].message == "You have used 40 of 50 alert rules (80%)."


def test_choices_are_checked_and_survive_a_round_trip_through_subscription_items():
    with pytest.raises(ChoiceError) as exc:
        check_choice(Choice("trial"))
    assert exc.value.field == "plan"
    with pytest.raises(ChoiceError, match="goes with Pro"):
        check_choice(Choice("basic", {"api_pack": 1}))
    with pytest.raises(ChoiceError, match="no add-on"):
        check_choice(Choice("pro", {"gold": 1}))
    choice = check_choice(Choice("pro", {"api_pack": 2, "sms_pack": 0}))
    assert choice.addons == {"api_pack": 2}
    assert choice_from_items([*line_items(choice), ("permitwatch_sms_overage", 0)]) == choice
    assert monthly_cents(choice) == 24_900 + 2 * 4_900
    assert choice_from_items([("something_else", 1)]) is None
