"""PURE. The product's numbers for one week from its events: alerts opened, the actionable
ones (the map viewed or an export started by the same person within 10 minutes of the
open), active accounts, the North Star (actionable alerts opened per active account),
activation (sign-ups whose first session made an area or saved search) and trial-to-paid
(trials ending that week that became subscriptions)."""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

FOLLOW_UP = timedelta(minutes=10)


@dataclass(frozen=True)
class Open:
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    alert_event_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class Inputs:
    opens: list[Open]  # first opens of the week
    follow_ups: dict[uuid.UUID, list[datetime]]  # user -> map views and exports started (the week and 10 minutes after)
    active_accounts: set[uuid.UUID]  # workspaces with a member active in the week
    signups: int
    activated: int
    trials_ended: int
    trials_converted: int


@dataclass(frozen=True)
class Week:
    alerts_opened: int
    actionable_alerts_opened: int
    active_accounts: int
    actionable_per_active_account: float
    signups: int
    activation_rate: float | None  # None: nobody signed up
    trials_ended: int
    trial_to_paid_rate: float | None


def actionable(o: Open, follow_ups: dict[uuid.UUID, list[datetime]]) -> bool:
    times = follow_ups.get(o.user_id) or []
    i = bisect.bisect_left(times, o.at)
    return i < len(times) and times[i] - o.at <= FOLLOW_UP


def week(inputs: Inputs) -> Week:
    follow = {u: sorted(ts) for u, ts in inputs.follow_ups.items()}
    acted = sum(1 for o in inputs.opens if actionable(o, follow))
    active = len(inputs.active_accounts | {o.workspace_id for o in inputs.opens})
    return Week(len(inputs.opens), acted, active, round(acted / active, 4) if active else 0.0, inputs.signups,
                round(inputs.activated / inputs.signups, 4) if inputs.signups else None, inputs.trials_ended,
                round(inputs.trials_converted / inputs.trials_ended, 4) if inputs.trials_ended else None)


DEFINITIONS = {
    "alerts_opened": "alerts opened for the first time by their recipient (signed link in a text or e-mail, or the inbox)",
    "actionable_alerts_opened": "opened alerts followed within 10 minutes by the same person viewing the map or starting an export",
    "active_accounts": "workspaces with a member signed in, or an alert opened, during the week",
    "actionable_per_active_account": "the North Star: actionable alerts opened per active account",
    "signups": "accounts created during the week",
    "activation_rate": "share of the week's sign-ups whose first session made an area or a saved search",
    "trials_ended": "trials whose 14 days ended during the week",
    "trial_to_paid_rate": "share of those trials that became a subscription",
}
