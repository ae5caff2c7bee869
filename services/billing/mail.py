"""PURE. The billing e-mails in words: the trial's value before it ends, a failed payment,
alerts paused. Composed like the account e-mails, sent through the same provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.tenancy.account_mail import compose


@dataclass(frozen=True)
class Value:
    """What the workspace got from permitwatch over a period."""

    permits_matched: int
    alerts_sent: int
    alerts_opened: int
    median_minutes_after_rrc: float | None  # from the RRC's publication to the alert leaving us
    operators_tracked: int
    exports_made: int


def value_lines(v: Value) -> list[str]:
    lines = [f"Permits matched in your areas: {v.permits_matched:,}", f"Alerts sent to you: {v.alerts_sent:,} ({v.alerts_opened:,} opened)"]
    if v.median_minutes_after_rrc is not None:
        lines.append(f"Typical time from the RRC publishing a permit to your alert: {_duration(v.median_minutes_after_rrc)}")
    lines += [f"Operators you track: {v.operators_tracked:,}", f"Exports and reports made: {v.exports_made:,}"]
    return lines


def _duration(minutes: float) -> str:
    if minutes < 90:
        return f"{round(minutes)} minutes"
    return f"{minutes / 60:.1f} hours"


def _day(at: datetime) -> str:
    return f"{at:%A, %B} {at.day}"


def trial_ending(base_url: str, workspace: str, ends: datetime, v: Value) -> dict:
    return compose(f"Your permitwatch trial ends {_day(ends)}",
                    [f"The trial of \"{workspace}\" ends {_day(ends)}. Here is what it has done for you so far:", *value_lines(v),
                     "Choose Basic or Pro to keep alerts coming by text and e-mail. Cancel anytime."],
                    f"{base_url.rstrip('/')}/app#/billing", "Choose a plan")


def payment_failed(base_url: str, workspace: str, grace_ends: datetime) -> dict:
    return compose(f"A payment for {workspace} on permitwatch failed",
                    [f"The last payment for \"{workspace}\" did not go through. Alerts keep coming until {_day(grace_ends)}; "
                     "after that the workspace becomes read-only and text and e-mail alerts pause.",
                     "Update the card in Manage billing to keep everything running."],
                    f"{base_url.rstrip('/')}/app#/billing", "Update the card")


def alerts_paused(base_url: str, workspace: str, why: str) -> dict:
    return compose(f"Text and e-mail alerts for {workspace} are paused",
                    [why, "Matching permits are still recorded and appear in your permitwatch inbox; "
                     "nothing is lost while alerts are paused."],
                    f"{base_url.rstrip('/')}/app#/billing", "Turn alerts back on")
