"""PURE: an audit entry in words a person reads ("made an API key"), not its code."""

from __future__ import annotations

THINGS = {
    "alert_rule": "an alert rule", "aoi": "an area", "api_key": "an API key", "export": "an export", "report": "an activity report",
    "report_schedule": "a report schedule", "invitation": "an invitation", "member": "a member's place", "user": "their account",
    "webhook": "a webhook", "quota": "the workspace's quota", "saved_search": "a saved search", "watchlist": "a watchlist",
    "operator_group": "an operator group", "workspace": "the workspace",
}
DOINGS = {
    "created": "made", "updated": "changed", "deleted": "deleted", "revoked": "revoked", "rolled": "rolled", "enabled": "resumed",
    "disabled": "paused", "tested": "sent a test of", "completed": "finished", "downloaded": "downloaded", "accepted": "accepted",
    "removed": "removed", "role_changed": "changed the role of", "secret_rotated": "made a new secret for",
    "test_sent": "sent a test event to", "applied": "applied", "released": "released", "signed_up": "signed up for",
    "email_changed": "changed the e-mail address of",
}
SPECIAL = {"member.removed": "removed a member", "member.role_changed": "changed a member's role", "user.signed_up": "signed up",
           "export.completed": "an export finished", "quota.applied": "the workspace's quota was set",
           "quota.released": "the workspace's quota was released",
           "billing.checkout_started": "opened Stripe Checkout", "billing.subscribed": "the subscription started",
           "billing.plan_changed": "the plan changed", "billing.addons_changed": "the add-ons changed",
           "billing.payment_failed": "a payment failed", "billing.payment_recovered": "a failed payment went through",
           "billing.canceled": "the subscription ended", "billing.cancel_scheduled": "the subscription was set to end",
           "billing.renewed": "the subscription was renewed"}


def describe(action: str) -> str:
    if action in SPECIAL:
        return SPECIAL[action]
    thing, _, doing = action.partition(".")
    if thing in THINGS and doing in DOINGS:
        return f"{DOINGS[doing]} {THINGS[thing]}"
    return action.replace("_", " ").replace(".", ": ")
