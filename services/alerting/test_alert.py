"""'Send me a test alert': one alert from a rule to the person asking, on the rule's
channels, now, so they see what arrives and where (and learn at once if a channel cannot
reach them). Uses the rule's newest matching permit, or says there is none yet."""

from __future__ import annotations

import uuid

import psycopg

from services.alerting import messages
from services.alerting.channels import DeliveryError, Message
from services.alerting.rule_store import list_rules
from services.alerting.rules import RuleNotFound
from services.alerting.samples import sample_matches
from services.audit.trail import audit
from services.settings import Settings

NOTE = "This is a test alert: nothing new was filed."


def example_event(rule: dict, permit: dict | None) -> dict:
    """PURE: an event payload shaped as the evaluator makes them, from a permit the rule matches."""
    p = permit or {}
    return {"change_type": "new", "first_located": False, "status_number": p.get("status_number") or "0000000", "sequence": 99,
            "api_number": p.get("api_number"), "operator_name": p.get("operator_name") or "Example Operating LLC",
            "lease_name": p.get("lease_name") or "EXAMPLE LEASE", "well_number": p.get("well_number") or "1H",
            "county": p.get("county"), "district": p.get("district"), "filing_purpose": p.get("filing_purpose"),
            "wellbore_profile": p.get("wellbore_profile"), "total_depth": p.get("total_depth"),
            "issued_date": p["issued_date"].isoformat() if p.get("issued_date") else None, "distance_m": None,
            "aoi_name": rule.get("aoi_name"), "matched_by": None, "rule_name": f"TEST: {rule['name']}",
            "lon": p.get("lon"), "lat": p.get("lat"), "changed_fields": {}}


def send_test(cur: psycopg.Cursor, settings: Settings, providers: dict, workspace_id: uuid.UUID, me: dict,
              rule_id: uuid.UUID) -> list[str]:
    """Where the test went (or why not), one line per channel of the rule. ME is the asking
    person's account as services.tenancy.profile.profile() gives it."""
    found = list_rules(cur, rule_id)
    if not found:
        raise RuleNotFound(f"alert rule {rule_id} does not exist in this workspace")
    rule = found[0]
    matches, _ = sample_matches(cur, rule_id, limit=1)
    event = example_event(rule, matches[0] if matches else None)
    ref = f"test-{uuid.uuid4().hex[:12]}"
    out = []
    channels = rule["channels"]
    targets = {"sms": (me["phone"] if me["phone_verified"] else None,
                       "you replied STOP to our texts" if me["sms_opted_out"] else me["sms_paused_reason"], "verify a phone in account settings"),
               "email": (me["email"] if me["email_verified"] else None, me["email_paused_reason"], "confirm your e-mail address")}
    for channel, (address, paused, fix) in targets.items():
        if not channels.get(channel):
            continue
        name = "SMS" if channel == "sms" else "E-mail"
        if not address:
            out.append(f"{name} not sent: {fix}")
        elif paused:
            out.append(f"{name} not sent: paused ({paused})")
        elif channel not in providers:
            out.append(f"{name} not sent: no {name.lower()} provider is configured")
        else:
            try:
                providers[channel].send(Message(0, channel, address, messages.render(channel, event, settings.public_base_url, NOTE), ref=ref))
                out.append(f"{name} to {address}")
            except DeliveryError as exc:
                out.append(f"{name} to {address} failed: {exc}")
    if channels.get("in_app") or not out:
        shown = messages.in_app(event, NOTE)
        cur.execute("INSERT INTO notifications (workspace_id, user_id, title, body) VALUES (%s, %s, %s, %s)",
                    (workspace_id, me["id"], shown["title"], shown["body"]))
        out.append("your inbox")
    audit(cur, workspace_id, me["id"], "alert_rule.tested", "alert_rule", rule_id, {"sent_to": out})
    return out
