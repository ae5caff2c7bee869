"""PURE delivery planning: for one alert event, which outbox rows to write.

Per enabled channel and recipient with a verified address, one row, shaped by the rule:
- digest mode daily/weekly: SMS and email rows are `held` under the period's digest key
  until the digest time (in-app always arrives at once: it is silent);
- quiet hours: SMS and email wait until the window ends (next_attempt_at);
- the workspace's SMS limit per day: an SMS over it is not sent; the recipient gets the
  alert in the in-app inbox, and by email (the rule's own email if it sends one, else the
  next daily digest), and both say so. Never two rows for one channel and recipient.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, time

from services.alerting.rules import Member
from services.alerting.schedule import local_day, next_digest_time, quiet_until


@dataclass(frozen=True)
class RuleDelivery:
    rule_id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    channels: dict
    recipients: list[uuid.UUID]
    quiet_hours: dict | None
    timezone: str
    digest_mode: str
    digest_at: time
    digest_weekday: int


@dataclass
class Usage:
    """SMS scheduled today per workspace (the rule's local day), with the limits."""

    sms_limit: dict[uuid.UUID, int] = field(default_factory=dict)
    sms_used: dict[tuple[uuid.UUID, str], int] = field(default_factory=dict)
    sms_start: dict[tuple[uuid.UUID, str], int] = field(default_factory=dict)
    # the monthly quota (WorkspaceQuota), and what other days of the month already used
    sms_month_limit: dict[uuid.UUID, int] = field(default_factory=dict)
    sms_month_other_days: dict[uuid.UUID, int] = field(default_factory=dict)

    def sms_refusal(self, workspace: uuid.UUID, day: str) -> str | None:
        """Why one more SMS may not go today, or None."""
        limit = self.sms_limit.get(workspace, 50)
        if self.sms_used.get((workspace, day), 0) >= limit:
            return f"SMS limit of {limit} per day reached"
        month = self.sms_month_limit.get(workspace)
        if month is not None and self.sms_month_other_days.get(workspace, 0) + sum(
                n for (ws, _), n in self.sms_used.items() if ws == workspace) >= month:
            return f"monthly SMS quota of {month} reached"
        return None

    def take_sms(self, workspace: uuid.UUID, day: str) -> bool:
        if self.sms_refusal(workspace, day):
            return False
        self.sms_used[(workspace, day)] = self.sms_used.get((workspace, day), 0) + 1
        return True


@dataclass(frozen=True)
class OutboxRow:
    """payload: what rendering needs beyond the event (a note; for held rows the digest's
    rule name and mode). Messages are rendered when sent, from the event's payload."""

    channel: str
    user_id: uuid.UUID
    to_address: str | None
    status: str  # pending | held
    next_attempt_at: datetime
    digest_key: str | None
    payload: dict


def plan(event: dict, rule: RuleDelivery, members: dict[uuid.UUID, Member], usage: Usage, now: datetime) -> list[OutboxRow]:
    rows: list[OutboxRow] = []
    quiet = quiet_until(now, rule.quiet_hours)
    digest_due = (next_digest_time(now, rule.timezone, rule.digest_mode, rule.digest_at, rule.digest_weekday)
                  if rule.digest_mode != "none" else None)
    day = local_day(now, rule.timezone).isoformat()
    for uid in rule.recipients:
        m = members.get(uid)
        if m is None:
            continue  # left the workspace since the rule was made
        in_app_note = email_note = None
        email_now = bool(rule.channels.get("email") and m.email_verified and not digest_due)
        if rule.channels.get("sms") and m.phone and m.phone_verified:
            if digest_due:
                rows.append(_held("sms", m, m.phone, event, rule, digest_due))
            elif not (refusal := usage.sms_refusal(rule.workspace_id, day)) and usage.take_sms(rule.workspace_id, day):
                rows.append(OutboxRow("sms", uid, m.phone, "pending", quiet or now, None, {}))
            else:
                note = f"{refusal}; this alert went to your inbox and daily digest."
                in_app_note = note
                if email_now:
                    email_note = note  # the email going out now carries the alert and says why
                elif m.email_verified:
                    due = next_digest_time(now, rule.timezone, "daily", rule.digest_at)
                    rows.append(OutboxRow("email", uid, m.email, "held", due, f"overflow:{rule.workspace_id}:{uid}:{due.isoformat()}",
                                          {"note": note, "rule_name": "SMS overflow", "mode": "daily"}))
        if rule.channels.get("email") and m.email_verified:
            if digest_due:
                rows.append(_held("email", m, m.email, event, rule, digest_due))
            else:
                rows.append(OutboxRow("email", uid, m.email, "pending", quiet or now, None, {"note": email_note} if email_note else {}))
        if rule.channels.get("in_app") or in_app_note:
            rows.append(OutboxRow("in_app", uid, None, "pending", now, None, {"note": in_app_note} if in_app_note else {}))
    return rows


def _held(channel: str, m: Member, address: str, event: dict, rule: RuleDelivery, due: datetime) -> OutboxRow:
    return OutboxRow(channel, m.user_id, address, "held", due, f"rule:{rule.rule_id}:{due.isoformat()}",
                     {"rule_name": rule.name, "mode": rule.digest_mode})
