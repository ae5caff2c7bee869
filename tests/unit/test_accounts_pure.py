"""The pure decisions behind accounts and delivery: receipts from provider reports, the
sign-in limiter, e-mail limits and paused channels in delivery planning, carrier
keywords, and a permit's changes in words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.alerting import receipts
from services.alerting.plan import RuleDelivery, Usage, plan
from services.alerting.rules import Member
from services.permits.history import describe, metres_between
from services.tenancy import phones, ratelimit

WS, ME = uuid.uuid4(), uuid.uuid4()
NOON = datetime(2026, 7, 15, 17, 0, tzinfo=UTC)
EVENT = {"status_number": "0900001", "change_type": "new"}


def _rule(**kw):
    base = dict(rule_id=uuid.uuid4(), workspace_id=WS, name="r", channels={"sms": True, "email": True, "in_app": False},
                recipients=[ME], quiet_hours=None, timezone="America/Chicago", digest_mode="none",
                digest_at=datetime(2026, 1, 1, 7).time(), digest_weekday=0)
    return RuleDelivery(**{**base, **kw})


def _me(**kw):
    return {ME: Member(ME, "ann@example.com", True, "+15125550100", True, **kw)}


def test_a_paused_number_sends_no_sms_and_the_inbox_says_why():
    rows = plan(EVENT, _rule(), _me(sms_paused="the number replied STOP"), Usage(), NOON)
    assert sorted(r.channel for r in rows) == ["email", "in_app"]
    assert "SMS is paused (the number replied STOP)" in next(r for r in rows if r.channel == "in_app").payload["note"]


def test_a_bounced_address_sends_no_email_and_the_inbox_says_why():
    rows = plan(EVENT, _rule(), _me(email_paused="the address bounced"), Usage(), NOON)
    assert sorted(r.channel for r in rows) == ["in_app", "sms"]
    assert "E-mail is paused (the address bounced)" in next(r for r in rows if r.channel == "in_app").payload["note"]


def test_email_over_the_daily_limit_goes_to_the_inbox_with_a_note():
    usage = Usage(per_day={("email", WS): 1})
    first = plan(EVENT, _rule(channels={"email": True}), _me(), usage, NOON)
    second = plan(EVENT, _rule(channels={"email": True}), _me(), usage, NOON)
    assert [r.channel for r in first] == ["email"] and [r.channel for r in second] == ["in_app"]
    assert second[0].payload["note"].startswith("E-mail limit of 1 per day reached")


def test_the_monthly_email_quota_counts_earlier_days():
    usage = Usage(per_month={("email", WS): 5}, month_other_days={("email", WS): 5})
    assert usage.refusal("email", WS, "2026-07-15") == "monthly e-mail quota of 5 reached"


@pytest.mark.parametrize("params, state, pause", [
    ({"MessageSid": "SM1", "MessageStatus": "delivered"}, "delivered", None),
    ({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30005"}, "undelivered", "the number is unknown or no longer in service"),
    ({"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "30003"}, "undelivered", None),  # unreachable for now
])
def test_twilio_reports_become_receipts(params, state, pause):
    r = receipts.from_twilio(params, "42")
    assert (r.outbox_id, r.channel, r.state, r.pause_reason) == (42, "sms", state, pause)


def test_twilio_progress_reports_and_unknown_rows_are_not_receipts():
    assert receipts.from_twilio({"MessageSid": "SM1", "MessageStatus": "sent"}, "42") is None
    assert receipts.from_twilio({"MessageSid": "SM1", "MessageStatus": "delivered"}, "x42") is None


@pytest.mark.parametrize("event, state, paused", [
    ({"event": "delivered"}, "delivered", False),
    ({"event": "bounce", "type": "bounce", "reason": "550 no such user"}, "bounced", True),
    ({"event": "bounce", "type": "blocked", "reason": "421 try later"}, "undelivered", False),
    ({"event": "dropped", "reason": "Bounced Address"}, "bounced", True),
])
def test_sendgrid_events_become_receipts(event, state, paused):
    r = receipts.from_sendgrid({**event, "sg_message_id": "abc.filter1", "outbox_id": "permitwatch-outbox-7"})
    assert (r.outbox_id, r.state, r.pause_reason is not None) == (7, state, paused)
    assert receipts.from_sendgrid({"event": "open", "sg_message_id": "abc", "outbox_id": "permitwatch-outbox-7"}) is None


def test_the_limiter_locks_a_pair_not_an_account_and_slows_a_busy_client():
    assert ratelimit.decide(5, 300, 5, limit=5) == ratelimit.Verdict(300, 0.0)  # this account from this client waits
    assert ratelimit.decide(0, 0, 49, limit=5) == ratelimit.Verdict(0, 0.0)  # another account from a busy office: free
    slowed = ratelimit.decide(0, 0, 50, limit=5)
    assert slowed.wait == 0 and slowed.delay > 0  # past the client ceiling: slower, never refused


def test_the_resend_rules():
    now = datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert "wait" in phones.resend_refusal(now, now - timedelta(seconds=10), now - timedelta(seconds=10), 1)
    assert phones.resend_refusal(now, now - timedelta(minutes=5), now - timedelta(minutes=1), 2) is None
    assert "5 codes" in phones.resend_refusal(now, now - timedelta(minutes=50), now - timedelta(minutes=1), 5)
    assert phones.resend_refusal(now, now - timedelta(minutes=70), now - timedelta(minutes=1), 5) is None


@pytest.mark.parametrize("body, word", [("STOP", "stop"), ("stop please", "stop"), ("Unsubscribe", "stop"), ("start", "start"),
                                        ("HELP", "help"), ("where is my permit", None), ("", None)])
def test_carrier_keywords(body, word):
    assert phones.keyword(body) == word


def test_a_change_in_words_hides_bookkeeping_and_measures_moves():
    lines = describe({"fields": {"total_depth": [10250, 10750], "amended_date": [None, "2026-07-30"],
                                 "received_date": ["2026-06-01", "2026-06-15"], "operator_name_truncated": [True, False],
                                 "surface_location": [{"lat": 31.0, "lon": -102.0}, {"lat": 31.001, "lon": -102.0}],
                                 "bottom_hole_locations": [[], [{"lat": 31.01, "lon": -102.01}]]}})
    assert lines == ["Total depth: 10,250 ft → 10,750 ft", "Amended: none → Jul 30, 2026",
                     "Surface location moved 365 ft north", "Bottom hole published: 31.01000, -102.01000"]
    assert not any("{" in line or "null" in line for line in lines)
    assert 110 < metres_between({"lat": 31.0, "lon": -102.0}, {"lat": 31.001, "lon": -102.0}) < 112
