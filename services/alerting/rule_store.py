"""Storing alert rules and their audit trail, under the caller's workspace context (RLS):
every create, update, enable/disable and delete is validated first and goes to audit_log."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict

import psycopg

from services.alerting.rules import EMAIL_PAUSED_SQL, SMS_PAUSED_SQL, Member, RuleContext, RuleNotFound, RuleSpec, validate
from services.audit.trail import audit, delete_audited
from services.entitlements import checks as entitled


def load_context(cur: psycopg.Cursor, spec: RuleSpec) -> RuleContext:
    ctx = RuleContext()
    if spec.aoi_id:
        row = cur.execute("SELECT ST_IsValid(geom), ST_IsEmpty(geom), ST_Area(geom::geography) / 1e6 FROM aois WHERE id = %s",
                          (spec.aoi_id,)).fetchone()
        ctx.aoi = {"valid": row[0], "empty": row[1], "area_km2": row[2]} if row else None
    if spec.saved_search_id:
        ctx.saved_search_exists = cur.execute("SELECT 1 FROM saved_searches WHERE id = %s", (spec.saved_search_id,)).fetchone() is not None
    if spec.watchlist_id:
        row = cur.execute("SELECT (SELECT count(*) FROM operator_watchlist_items i WHERE i.watchlist_id = w.id) "
                          "+ (SELECT count(*) FROM operator_watchlist_groups g WHERE g.watchlist_id = w.id) "
                          "FROM operator_watchlists w WHERE w.id = %s", (spec.watchlist_id,)).fetchone()
        ctx.watchlist_size = row[0] if row else None
    for uid, email, ev, phone, pv in cur.execute(
            "SELECT u.id, u.email, u.email_verified_at IS NOT NULL, u.phone, u.phone_verified_at IS NOT NULL "
            "FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.disabled_at IS NULL").fetchall():
        ctx.members[uid] = Member(uid, email, ev, phone, pv)
    return ctx


def save(cur: psycopg.Cursor, workspace_id: uuid.UUID, spec: RuleSpec, *, actor: uuid.UUID | None,
         rule_id: uuid.UUID | None = None) -> uuid.UUID:
    validate(spec, load_context(cur, spec))
    values = {**asdict(spec), "channels": json.dumps(spec.channels), "quiet_hours": json.dumps(spec.quiet_hours) if spec.quiet_hours else None,
              "change_types": spec.change_types, "recipients": list(spec.recipients)}
    cols = ["name", "enabled", "aoi_id", "saved_search_id", "watchlist_id", "notify_on", "notify_on_filings", "new_acreage_only", "change_types",
            "channels", "quiet_hours", "timezone", "digest_mode", "digest_at", "digest_weekday", "recipients"]
    if rule_id is None:
        entitled.check_room(cur, workspace_id, "alert_rules")
        rule_id = cur.execute(
            f"INSERT INTO alert_rules (workspace_id, created_by, {', '.join(cols)}) "
            f"VALUES (%(ws)s, %(actor)s, {', '.join('%(' + c + ')s' for c in cols)}) RETURNING id",
            {**values, "ws": workspace_id, "actor": actor}).fetchone()[0]
        action = "alert_rule.created"
    else:
        cur.execute(f"UPDATE alert_rules SET {', '.join(f'{c} = %({c})s' for c in cols)}, updated_at = now() WHERE id = %(id)s",
                    {**values, "id": rule_id})
        if cur.rowcount != 1:
            raise RuleNotFound(f"alert rule {rule_id} does not exist in this workspace")
        action = "alert_rule.updated"
    audit(cur, workspace_id, actor, action, "alert_rule", rule_id, {"rule": _jsonable(values)})
    return rule_id


_LIST_KEYS = ("id", "name", "enabled", "aoi_id", "aoi_name", "saved_search_id", "watchlist_id", "notify_on", "notify_on_filings", "new_acreage_only",
              "change_types", "channels", "recipients", "quiet_hours", "timezone", "digest_mode", "digest_at", "digest_weekday", "created_at", "events")


def list_rules(cur: psycopg.Cursor, rule_id: uuid.UUID | None = None) -> list[dict]:
    """The workspace's rules (or one), with their area's name and how many alerts each raised."""
    rows = cur.execute(
        "SELECT r.id, r.name, r.enabled, r.aoi_id, a.name, r.saved_search_id, r.watchlist_id, r.notify_on, r.notify_on_filings, "
        "r.new_acreage_only, r.change_types, r.channels, "
        "r.recipients, r.quiet_hours, r.timezone, r.digest_mode, r.digest_at, r.digest_weekday, r.created_at, "
        "(SELECT count(*) FROM alert_events e WHERE e.alert_rule_id = r.id) "
        "FROM alert_rules r LEFT JOIN aois a ON a.id = r.aoi_id WHERE (%(id)s::uuid IS NULL OR r.id = %(id)s) ORDER BY r.created_at DESC",
        {"id": rule_id}).fetchall()
    out = [dict(zip(_LIST_KEYS, r, strict=True)) for r in rows]
    people = {r[0]: r[1:] for r in cur.execute(
        f"SELECT u.id, u.email, {SMS_PAUSED_SQL}, {EMAIL_PAUSED_SQL} FROM workspace_members m JOIN users u ON u.id = m.user_id "
        "WHERE u.sms_opted_out_at IS NOT NULL OR u.sms_paused_at IS NOT NULL OR u.email_paused_at IS NOT NULL").fetchall()}
    for rule in out:
        rule["digest_at"] = rule["digest_at"].strftime("%H:%M")
        rule["paused_channels"] = paused_channels(rule, people)
    return out


def paused_channels(rule: dict, people: dict) -> list[str]:
    """'SMS to ann@x is paused: <why>' for each recipient this rule cannot reach on a channel."""
    lines = []
    for uid in rule["recipients"]:
        email, sms_why, email_why = people.get(uid, (None, None, None))
        if rule["channels"].get("sms") and sms_why:
            lines.append(f"SMS to {email} is paused: {sms_why}")
        if rule["channels"].get("email") and email_why:
            lines.append(f"E-mail to {email} is paused: {email_why}")
    return lines


def set_enabled(cur: psycopg.Cursor, workspace_id: uuid.UUID, rule_id: uuid.UUID, enabled: bool, *, actor: uuid.UUID | None) -> None:
    cur.execute("UPDATE alert_rules SET enabled = %s, updated_at = now() WHERE id = %s", (enabled, rule_id))
    if cur.rowcount != 1:
        raise RuleNotFound(f"alert rule {rule_id} does not exist in this workspace")
    audit(cur, workspace_id, actor, "alert_rule.enabled" if enabled else "alert_rule.disabled", "alert_rule", rule_id, {})


def delete(cur: psycopg.Cursor, workspace_id: uuid.UUID, rule_id: uuid.UUID, *, actor: uuid.UUID | None) -> None:
    delete_audited(cur, "alert_rules", "alert_rule", rule_id, workspace_id, actor, RuleNotFound)


def _jsonable(values: dict) -> dict:
    return json.loads(json.dumps(values, default=str))
