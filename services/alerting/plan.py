"""PURE delivery planning: for one alert event, which outbox rows to write.

Per enabled channel and recipient with a verified address, one row, shaped by the rule:
- digest mode daily/weekly: SMS and email rows are `held` under the period's digest key
  until the digest time (in-app always arrives at once: it is silent);
- quiet hours: SMS and email wait until the window ends (next_attempt_at);
- the workspace's SMS limit per day (and month): an SMS over it is not sent; the recipient
  gets the alert in the in-app inbox, and by email (the rule's own email if it sends one,
  else the next daily digest), and both say so;
- the e-mail limits the same way: an e-mail over them is not sent, and the inbox says so;
- a channel paused for a recipient (a hard bounce, an undeliverable or opted-out number)
  carries nothing; the inbox gets the alert and says why. Alerts never stop silently.
Never two rows for one channel and recipient.
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


CHANNEL_NAMES = {"sms": "SMS", "email": "e-mail"}
DEFAULT_PER_DAY = {"sms": 50, "email": 500}  # as the workspace_quotas defaults


@dataclass
class Usage:
    """Messages scheduled per channel, workspace and the rule's local day, with the
    workspace's limits per day and per month (WorkspaceQuota)."""

    per_day: dict[tuple[str, uuid.UUID], int] = field(default_factory=dict)
    per_month: dict[tuple[str, uuid.UUID], int] = field(default_factory=dict)
    used: dict[tuple[str, uuid.UUID, str], int] = field(default_factory=dict)
    start: dict[tuple[str, uuid.UUID, str], int] = field(default_factory=dict)
    # what other days of the month already used
    month_other_days: dict[tuple[str, uuid.UUID], int] = field(default_factory=dict)
    takes: int = 0  # messages taken so far (a plan that took none did not change the usage)
    paused: dict[uuid.UUID, str] = field(default_factory=dict)  # workspaces whose billing lapsed: why
    no_webhooks: set[uuid.UUID] = field(default_factory=set)
    _month: dict[tuple[str, uuid.UUID], int] = field(default_factory=dict)  # the month's use so far, per channel and workspace

    def refusal(self, channel: str, workspace: uuid.UUID, day: str) -> str | None:
        """Why one more message on this channel may not go today, or None."""
        if workspace in self.paused:
            return "Text and e-mail alerts are paused until billing is sorted out on the Billing page"
        name = CHANNEL_NAMES[channel]
        limit = self.per_day.get((channel, workspace), DEFAULT_PER_DAY[channel])
        if self.used.get((channel, workspace, day), 0) >= limit:
            return f"{name[0].upper() + name[1:]} limit of {limit} per day reached"
        month = self.per_month.get((channel, workspace))
        if month is not None and self._month_used(channel, workspace) >= month:
            return f"monthly {name} quota of {month} reached"
        return None

    def _month_used(self, channel: str, workspace: uuid.UUID) -> int:
        # Summed once per workspace and channel, then kept up by take(): every workspace has
        # a monthly limit (its plan), and this is asked for every message planned.
        key = (channel, workspace)
        if key not in self._month:
            self._month[key] = self.month_other_days.get(key, 0) + sum(
                n for (ch, ws, _), n in self.used.items() if ch == channel and ws == workspace)
        return self._month[key]

    def take(self, channel: str, workspace: uuid.UUID, day: str) -> bool:
        if self.refusal(channel, workspace, day):
            return False
        key = (channel, workspace, day)
        self.used[key] = self.used.get(key, 0) + 1
        if (channel, workspace) in self._month:
            self._month[(channel, workspace)] += 1
        self.takes += 1
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
        notes: list[str] = []  # why a channel did not carry this alert; the inbox always says so
        email_note = None
        email_ok = m.email_verified and not m.email_paused
        if rule.channels.get("email") and m.email_verified and m.email_paused:
            notes.append(f"E-mail is paused ({m.email_paused}); change your address in account settings to resume.")
        email_refusal = None if digest_due or not email_ok else usage.refusal("email", rule.workspace_id, day)
        email_now = bool(rule.channels.get("email") and email_ok and not digest_due and not email_refusal)
        if rule.channels.get("sms") and m.phone and m.phone_verified:
            if m.sms_paused:
                notes.append(f"SMS is paused ({m.sms_paused}); this alert went to your inbox.")
            elif digest_due:
                rows.append(_held("sms", m, m.phone, event, rule, digest_due))
            elif not (refusal := usage.refusal("sms", rule.workspace_id, day)) and usage.take("sms", rule.workspace_id, day):
                rows.append(OutboxRow("sms", uid, m.phone, "pending", quiet or now, None, {}))
            else:
                note = f"{refusal}; this alert went to your inbox and daily digest."
                notes.append(note)
                if email_now:
                    email_note = note  # the email going out now carries the alert and says why
                elif email_ok and rule.workspace_id not in usage.paused:
                    due = next_digest_time(now, rule.timezone, "daily", rule.digest_at)
                    rows.append(OutboxRow("email", uid, m.email, "held", due, f"overflow:{rule.workspace_id}:{uid}:{due.isoformat()}",
                                          {"note": note, "rule_name": "SMS overflow", "mode": "daily"}))
        if rule.channels.get("email") and email_ok:
            if digest_due:
                rows.append(_held("email", m, m.email, event, rule, digest_due))
            elif email_refusal:
                notes.append(f"{email_refusal}; this alert is in your inbox only.")
            else:
                usage.take("email", rule.workspace_id, day)
                rows.append(OutboxRow("email", uid, m.email, "pending", quiet or now, None, {"note": email_note} if email_note else {}))
        if rule.channels.get("in_app") or notes:
            rows.append(OutboxRow("in_app", uid, None, "pending", now, None, {"note": " ".join(notes)} if notes else {}))
    return rows


def _held(channel: str, m: Member, address: str, event: dict, rule: RuleDelivery, due: datetime) -> OutboxRow:
    return OutboxRow(channel, m.user_id, address, "held", due, f"rule:{rule.rule_id}:{due.isoformat()}",
                     {"rule_name": rule.name, "mode": rule.digest_mode})
