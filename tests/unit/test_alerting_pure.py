"""Quiet hours, digests, backoff, messages, delivery planning and rule validation: pure."""

import random
import uuid
from datetime import UTC, datetime, time

import pytest

from services.alerting import messages
from services.alerting.filters import FilterError, sql_predicate, validate_filters
from services.alerting.plan import RuleDelivery, Usage, plan
from services.alerting.rules import Member, RuleContext, RuleError, RuleSpec, validate
from services.alerting.schedule import ScheduleError, backoff, next_digest_time, quiet_until

CHICAGO_NIGHT = {"timezone": "America/Chicago", "windows": [{"start": "21:00", "end": "07:00"}]}


def utc(*a):
    return datetime(*a, tzinfo=UTC)


def test_quiet_hours_hold_until_the_local_end_of_the_window():
    # 22:30 CDT on 2026-07-14 is 03:30 UTC on the 15th; quiet until 07:00 CDT = 12:00 UTC.
    assert quiet_until(utc(2026, 7, 15, 3, 30), CHICAGO_NIGHT) == utc(2026, 7, 15, 12, 0)
    assert quiet_until(utc(2026, 7, 15, 18, 0), CHICAGO_NIGHT) is None  # 13:00 local: not quiet


@pytest.mark.parametrize("now,expected", [
    # Spring forward, 2026-03-08: the night starts in CST (UTC-6) and ends in CDT (UTC-5).
    (utc(2026, 3, 8, 4, 0), utc(2026, 3, 8, 12, 0)),   # 22:00 CST on 7 March -> 07:00 CDT = 12:00 UTC
    # Fall back, 2026-11-01: starts in CDT, ends in CST.
    (utc(2026, 11, 1, 3, 0), utc(2026, 11, 1, 13, 0)),  # 22:00 CDT on 31 October -> 07:00 CST = 13:00 UTC
])
def test_quiet_hours_across_daylight_saving_changes_end_at_7_on_the_wall_clock(now, expected):
    assert quiet_until(now, CHICAGO_NIGHT) == expected


def test_quiet_hours_on_some_days_and_chained_windows():
    spec = {"timezone": "America/Chicago", "windows": [{"start": "18:00", "end": "23:00", "days": [5]},
                                                      {"start": "23:00", "end": "08:00", "days": [5]}]}
    # Saturday 19:00 CDT: the first window runs into the second; release Sunday 08:00 CDT.
    assert quiet_until(utc(2026, 7, 19, 0, 0), spec) == utc(2026, 7, 19, 13, 0)
    assert quiet_until(utc(2026, 7, 18, 0, 0), spec) is None  # Friday evening


@pytest.mark.parametrize("spec,message", [
    ({"timezone": "Mars/Olympus", "windows": [{"start": "21:00", "end": "07:00"}]}, "unknown time zone"),
    ({"windows": [{"start": "9pm", "end": "07:00"}]}, "not HH:MM"),
    ({"windows": [{"start": "07:00", "end": "07:00"}]}, "must not start and end"),
    ({"windows": []}, "at least one window"),
])
def test_bad_quiet_hours_say_what_is_wrong(spec, message):
    with pytest.raises(ScheduleError, match=message):
        quiet_until(utc(2026, 7, 1), spec)


def test_digest_times_daily_and_weekly_in_local_time():
    now = utc(2026, 7, 15, 15, 0)  # Wednesday 10:00 CDT
    assert next_digest_time(now, "America/Chicago", "daily", time(7)) == utc(2026, 7, 16, 12, 0)
    assert next_digest_time(now, "America/Chicago", "weekly", time(7), weekday=0) == utc(2026, 7, 20, 12, 0)
    # Across fall back: the Monday 07:00 digest is 13:00 UTC (CST).
    assert next_digest_time(utc(2026, 10, 30, 15, 0), "America/Chicago", "weekly", time(7), 0) == utc(2026, 11, 2, 13, 0)


def test_backoff_grows_and_is_capped_with_jitter():
    rng = random.Random(1)
    waits = [backoff(n, base=30, cap=600, rng=rng).total_seconds() for n in range(1, 9)]
    assert 15 <= waits[0] <= 30 and 30 <= waits[1] <= 60
    assert all(300 <= w <= 600 for w in waits[5:])


EVENT = {"change_type": "new", "status_number": "0916838", "operator_name": "BLACK SWAN OPCO, LLC", "lease_name": "PEFFERCORN",
         "well_number": "3H", "county": "Glasscock", "district": "08", "filing_purpose": "New Drill",
         "wellbore_profile": "horizontal", "total_depth": 10500, "api_number": "42-173-38592", "distance_m": 1287.5,
         "aoi_name": "Section 12 lease", "matched_by": "surface location", "rule_name": "Glasscock", "issued_date": "2026-07-01"}


def test_sms_fits_one_gsm_segment_and_keeps_the_link():
    long = {**EVENT, "operator_name": "PIONEER NATURAL RESOURCES USA, INC. — DELAWARE", "lease_name": "UNIVERSITY LANDS BLOCK 45 UNIT " * 3}
    for e in (EVENT, long):
        text = messages.sms(e, "https://permitwatch.example")
        assert len(text) <= 160 and text.endswith("https://permitwatch.example/p/0916838")
        assert text == messages.gsm7(text)
    assert "0.8 mi from Section 12 lease" in messages.sms(EVENT, "https://permitwatch.example")


def test_email_has_text_html_and_links():
    m = messages.email(EVENT, "https://permitwatch.example/")
    assert m["subject"] == "New permit: BLACK SWAN OPCO, LLC - PEFFERCORN 3H (Glasscock County)"
    for part in ("Filing purpose: New Drill", "Total depth: 10,500 ft", "Distance to area: 0.8 mi from Section 12 lease",
                 "https://permitwatch.example/permits/0916838", "https://permitwatch.example/map?permit=0916838"):
        assert part in m["text"]
    assert "<table>" in m["html"] and "&amp;" not in m["subject"]


MEMBER = Member(uuid.uuid4(), "a@example.com", True, "+15125550100", True)
UNVERIFIED = Member(uuid.uuid4(), "b@example.com", False, "+15125550101", False)
WS = uuid.uuid4()


def _rule(**kw) -> RuleDelivery:
    base = dict(rule_id=uuid.uuid4(), workspace_id=WS, name="r", channels={"sms": True, "email": True, "in_app": True},
                recipients=[MEMBER.user_id, UNVERIFIED.user_id], quiet_hours=None, timezone="America/Chicago",
                digest_mode="none", digest_at=time(7), digest_weekday=0)
    return RuleDelivery(**{**base, **kw})


MEMBERS = {MEMBER.user_id: MEMBER, UNVERIFIED.user_id: UNVERIFIED}
NOON = utc(2026, 7, 15, 17, 0)


def test_plan_sends_each_channel_to_verified_recipients_only():
    rows = plan(EVENT, _rule(), MEMBERS, Usage(), NOON)
    assert sorted((r.channel, r.user_id == MEMBER.user_id) for r in rows) == [
        ("email", True), ("in_app", False), ("in_app", True), ("sms", True)]
    assert all(r.status == "pending" and r.next_attempt_at == NOON for r in rows)


def test_plan_holds_sms_and_email_in_quiet_hours_but_not_in_app():
    rows = plan(EVENT, _rule(quiet_hours=CHICAGO_NIGHT), MEMBERS, Usage(), utc(2026, 7, 15, 3, 30))
    by = {(r.channel, r.user_id): r for r in rows}
    assert by[("sms", MEMBER.user_id)].next_attempt_at == utc(2026, 7, 15, 12, 0)
    assert by[("in_app", MEMBER.user_id)].next_attempt_at == utc(2026, 7, 15, 3, 30)


def test_plan_digest_mode_holds_under_one_key_per_period():
    rows = plan(EVENT, _rule(digest_mode="daily"), MEMBERS, Usage(), NOON)
    held = [r for r in rows if r.status == "held"]
    assert {r.channel for r in held} == {"sms", "email"}
    assert len({r.digest_key for r in held}) == 1 and held[0].next_attempt_at == utc(2026, 7, 16, 12, 0)


def test_plan_sms_over_the_daily_limit_goes_to_inbox_and_digest_and_says_so():
    usage = Usage(per_day={("sms", WS): 1})
    first = plan(EVENT, _rule(channels={"sms": True}), MEMBERS, usage, NOON)
    second = plan(EVENT, _rule(channels={"sms": True}), MEMBERS, usage, NOON)
    assert [r.channel for r in first] == ["sms"]
    assert sorted(r.channel for r in second) == ["email", "in_app"]
    inbox = next(r for r in second if r.channel == "in_app")
    assert inbox.payload["note"].startswith("SMS limit of 1 per day reached")
    assert messages.in_app(EVENT, inbox.payload["note"])["body"].startswith("SMS limit of 1 per day reached")
    held = next(r for r in second if r.channel == "email")
    assert held.status == "held" and "SMS limit" in held.payload["note"]


def _ctx(**kw):
    return RuleContext(**{"aoi": {"valid": True, "empty": False, "area_km2": 12.0}, "members": MEMBERS, **kw})


@pytest.mark.parametrize("spec,ctx,message", [
    (RuleSpec(name="x", recipients=[MEMBER.user_id]), _ctx(), "needs a target"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[MEMBER.user_id]), _ctx(aoi=None), "does not exist"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[MEMBER.user_id]),
     _ctx(aoi={"valid": False, "empty": False, "area_km2": 1}), "not a valid polygon"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[MEMBER.user_id]),
     _ctx(aoi={"valid": True, "empty": False, "area_km2": 90000}), "over the 50,000 km2 limit"),
    (RuleSpec(name="x", watchlist_id=uuid.uuid4(), recipients=[MEMBER.user_id]), _ctx(watchlist_size=0), "watchlist is empty"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[UNVERIFIED.user_id], channels={"sms": True}), _ctx(), "verified phone"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[UNVERIFIED.user_id], channels={"email": True}), _ctx(), "verified email"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[uuid.uuid4()]), _ctx(), "not members"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[MEMBER.user_id], timezone="Texas/Midland"), _ctx(), "unknown time zone"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[MEMBER.user_id], channels={"fax": True}), _ctx(), "unknown channel"),
    (RuleSpec(name="x", aoi_id=uuid.uuid4(), recipients=[MEMBER.user_id], notify_on="new_only", change_types=["spudded"]),
     _ctx(), "is covered by notify_on"),
])
def test_unworkable_rules_are_refused_with_what_to_fix(spec, ctx, message):
    with pytest.raises(RuleError, match=message):
        validate(spec, ctx)


def test_a_workable_rule_passes():
    validate(RuleSpec(name="ok", aoi_id=uuid.uuid4(), recipients=[MEMBER.user_id], channels={"sms": True, "email": True},
                      quiet_hours=CHICAGO_NIGHT, digest_mode="weekly"), _ctx())


def test_filters_are_validated_and_normalized():
    assert validate_filters({"counties": ["Midland", "317"], "depth_min": 8000}) == {"counties": ["317", "329"], "depth_min": 8000}
    for bad, message in (({"county": ["x"]}, "unknown filter"), ({"counties": ["Atlantis"]}, "unknown county"),
                         ({"profiles": ["curvy"]}, "unknown value"), ({"depth_min": 9, "depth_max": 1}, "greater than"),
                         ({"issued_from": "July"}, "must be a date"), ({}, "at least one filter")):
        with pytest.raises(FilterError, match=message):
            validate_filters(bad)
    assert "jsonb_array_elements_text(s.filters->'counties')" in sql_predicate("s.filters", "ch")


def test_sms_overflow_with_email_on_puts_the_note_on_that_email_not_a_second_row():
    usage = Usage(per_day={("sms", WS): 0})
    rows = plan(EVENT, _rule(channels={"sms": True, "email": True}), {MEMBER.user_id: MEMBER}, usage, NOON)
    assert sorted((r.channel, r.status) for r in rows) == [("email", "pending"), ("in_app", "pending")]
    assert next(r for r in rows if r.channel == "email").payload["note"].startswith("SMS limit of 0 per day reached")


@pytest.mark.parametrize("limit", [0, 1, 100])
@pytest.mark.parametrize("digest", ["none", "daily"])
@pytest.mark.parametrize("channels", [{"sms": True, "email": True, "in_app": True}, {"sms": True}, {"sms": True, "in_app": True}])
def test_never_two_rows_for_one_channel_and_recipient(limit, digest, channels):
    usage = Usage(per_day={("sms", WS): limit})
    for _ in range(3):
        rows = plan(EVENT, _rule(channels=channels, digest_mode=digest), MEMBERS, usage, NOON)
        keys = [(r.channel, r.user_id) for r in rows]
        assert len(keys) == len(set(keys))


def test_monthly_sms_quota_caps_what_the_daily_limit_would_allow():
    import uuid

    from services.alerting.plan import Usage
    ws = uuid.uuid4()
    usage = Usage(per_day={("sms", ws): 50}, per_month={("sms", ws): 10}, month_other_days={("sms", ws): 9})
    assert usage.take("sms", ws, "2026-11-25")
    assert usage.refusal("sms", ws, "2026-11-25") == "monthly SMS quota of 10 reached"
    assert not usage.take("sms", ws, "2026-11-25")
    daily = Usage(per_day={("sms", ws): 1})
    assert daily.take("sms", ws, "2026-11-25") and daily.refusal("sms", ws, "2026-11-25") == "SMS limit of 1 per day reached"
