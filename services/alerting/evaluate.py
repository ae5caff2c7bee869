"""The alert evaluator: consumes `permit_changes` through a durable cursor and writes
`alert_events` and their `notification_outbox` rows.

One batch is one transaction: lock the cursor row, match the changes after it against
every enabled rule, insert events (one per rule and change: a unique key)
and outbox rows, advance the cursor, commit. A second evaluator waits on the cursor lock
and then starts after the first one's batch, so every change is evaluated once; a crash
before the commit leaves the cursor where it was. Runs as the worker role, whose RLS
policies span the workspaces' alerting tables.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg.rows import dict_row

from services.alerting.filters import new_ground_predicate, sql_predicate, watchlist_predicate
from services.alerting.plan import CHANNEL_NAMES, RuleDelivery, Usage, plan
from services.alerting.rules import EMAIL_PAUSED_SQL, FILING_TYPES, NOTIFY_ON, SMS_PAUSED_SQL, Member
from services.alerting.schedule import local_day
from services.entitlements import checks as account
from services.entitlements.decide import entitlements, sms_ceiling
from services.entitlements.plans import WEBHOOKS
from services.metrics import registry as metrics

CURSOR = "evaluator"
CHANNELS = tuple(CHANNEL_NAMES)  # the limited channels: sms, email


def _notify_case() -> str:
    arms = " ".join(f"WHEN '{k}' THEN ARRAY[{', '.join(repr(t) for t in v)}]" for k, v in NOTIFY_ON.items())
    return f"(CASE r.notify_on {arms} END)"


_CHANGES = """
  SELECT c.id AS change_id, c.permit_id, c.permit_version_id, c.change_type, c.details, c.sequence, c.source_seen_at AS published_at,
         -- RRC publishes many permits without coordinates and adds them days later: for an
         -- area of interest, that first location is when the permit arrives.
         -- (unless its filing's location already stood in for it when it was approved)
         (c.change_type = 'location_changed'
          AND jsonb_typeof(c.details->'fields'->'surface_location'->0) = 'null'
          AND NOT EXISTS (SELECT 1 FROM permit_changes a WHERE a.permit_id = c.permit_id AND a.change_type = 'approved'
                          AND (a.details->>'location_from_filing')::boolean)) AS first_located,
         p.source_permit_no AS status_number, v.geom, v.bhl_geom, v.county_code, v.county, v.district,
         v.filing_purpose_code, v.permit_type AS filing_purpose, v.wellbore_profile, v.status, v.operator_id, v.total_depth,
         v.issued_date, v.lease_name, v.well_number, v.api_number, v.attributes->>'operator_name' AS operator_name,
         v.attributes->>'submitted_at' AS submitted_at,
         -- where the well goes: surface point, bottom holes, and the laterals between them
         CASE WHEN v.bhl_geom IS NULL THEN v.geom
              ELSE ST_Collect(ARRAY[v.geom, v.bhl_geom] || ARRAY(SELECT ST_MakeLine(v.geom, d.geom) FROM ST_Dump(v.bhl_geom) d))
         END AS track
  FROM permit_changes c
  JOIN ingestion_runs ir ON ir.id = c.ingestion_run_id AND NOT ir.history
  JOIN permit_versions v ON v.id = c.permit_version_id AND v.source_seen_at = c.source_seen_at
  JOIN permits p ON p.id = c.permit_id
  WHERE c.id > %(after)s AND c.id <= %(upto)s
"""
_FILINGS = f"(r.notify_on_filings AND ch.change_type IN ({', '.join(repr(t) for t in FILING_TYPES)}))"
_TYPES = (f"(ch.change_type = ANY({_notify_case()}) OR {_FILINGS}) "
          "AND (r.change_types IS NULL OR ch.change_type = ANY(r.change_types))")
# History is not news: a rule hears only of changes published after it was made, and
# never of a run that was history (a backfill, a first load, an old snapshot).
_RULE_CONDITIONS = f"""
  r.enabled AND ch.published_at >= r.created_at AND ({_TYPES})
  AND {watchlist_predicate("r", "ch")}
  AND (r.saved_search_id IS NULL OR {sql_predicate("s.filters", "ch")})
"""
# New ground: a watched operator's first permits in this county (or, for an area rule,
# this area) for twelve months; only a permit's arrival can be that.
_NEW_GROUND = ("(NOT r.new_acreage_only OR (ch.change_type IN ('new', 'approved', 'filed') AND "
               + new_ground_predicate("ch", "coalesce(ch.issued_date, ch.published_at::date)", "{where}") + "))")
_FIELDS = "ch.change_id, ch.permit_id, ch.permit_version_id, r.id AS rule_id, r.workspace_id, r.name AS rule_name"
# AOI rules are found through the GIST index on the buffered AOI, probed once per change:
# the lateral subquery (kept apart by OFFSET 0) pins that plan, because with fresh statistics
# the planner preferred every rule against every change (60 million pairs, 86 s instead of
# 3 s for the benchmark's batch). The rest (saved search or watchlist only) are joined
# directly. `ch` is the changes after the cursor.
_MATCH_BODY = f"""
SELECT {_FIELDS}, a.name AS aoi_name,
       CASE WHEN ST_Intersects(a.geom, ch.geom) THEN 0  -- inside: no geodesic distance to compute
            ELSE ST_Distance(a.geom::geography, ch.geom::geography) END AS distance_m,
       CASE WHEN ST_Intersects(a.match_geom, ch.geom) THEN 'surface location'
            WHEN ch.bhl_geom IS NOT NULL AND ST_Intersects(a.match_geom, ch.bhl_geom) THEN 'bottom-hole location'
            ELSE 'lateral' END AS matched_by
FROM ch
CROSS JOIN LATERAL (SELECT a.id, a.name, a.geom, a.match_geom FROM aois a WHERE ST_Intersects(a.match_geom, ch.track) OFFSET 0) a
JOIN alert_rules r ON r.aoi_id = a.id
LEFT JOIN saved_searches s ON s.id = r.saved_search_id
WHERE {_RULE_CONDITIONS.replace(f"({_TYPES})", f"(({_TYPES}) OR (ch.first_located AND 'new' = ANY({_notify_case()})))")}
  AND {_NEW_GROUND.format(where="ST_Intersects(a.match_geom, o.geom)")}
UNION ALL
SELECT {_FIELDS}, NULL, NULL, NULL
FROM ch
JOIN alert_rules r ON r.aoi_id IS NULL
LEFT JOIN saved_searches s ON s.id = r.saved_search_id
WHERE {_RULE_CONDITIONS}
  AND {_NEW_GROUND.format(where="o.county_code = ch.county_code")}
"""
# The matching on its own (what the benchmark measures the whole evaluation against).
MATCH_SQL = f"WITH ch AS MATERIALIZED ({_CHANGES}) {_MATCH_BODY} ORDER BY change_id, rule_id"
# The evaluator keeps both in the database: the changes ...
CHANGES_SQL = f"CREATE TEMP TABLE ch ON COMMIT DROP AS {_CHANGES}"
# ... and the matches, each with the id its event will have.
MATCHES_SQL = f"CREATE TEMP TABLE tmp_matches ON COMMIT DROP AS SELECT gen_random_uuid() AS event_id, x.* FROM ({_MATCH_BODY}) x"


@dataclass
class EvalResult:
    changes: int = 0
    matches: int = 0
    events: int = 0
    outbox: int = 0
    cursor: int = 0


# What every message about an event needs, frozen at evaluation time and built where the
# matches are (no round trip through Python per match): the change's part once per change
# (the first evaluation of a change decides it) ...
MESSAGES_SQL = """
INSERT INTO change_messages (permit_change_id, payload)
SELECT x.change_id, jsonb_build_object(
         'change_type', x.change_type, 'first_located', x.first_located, 'status_number', x.status_number, 'sequence', x.sequence,
         'api_number', x.api_number, 'operator_name', x.operator_name, 'lease_name', x.lease_name, 'well_number', x.well_number,
         'county', x.county, 'district', x.district, 'filing_purpose', x.filing_purpose, 'wellbore_profile', x.wellbore_profile,
         'total_depth', x.total_depth, 'issued_date', x.issued_date, 'lon', ST_X(x.geom), 'lat', ST_Y(x.geom),
         'changed_fields', CASE WHEN jsonb_typeof(x.details->'fields') = 'object' THEN (x.details->'fields') - 'fields' ELSE '{}'::jsonb END,
         'published_at', x.published_at, 'submitted_at', coalesce(x.submitted_at, x.details->>'submitted_at'),
         'hours_to_approval', x.details->'hours_to_approval')
FROM ch x WHERE EXISTS (SELECT 1 FROM tmp_matches m WHERE m.change_id = x.change_id)
ON CONFLICT (permit_change_id) DO NOTHING
"""
# ... and the rule's part with each event, in its own columns. One event per (rule, change):
# evaluators take turns on the cursor row, so a match already evaluated (a rewound cursor)
# is dropped here, and `alert_events_once` refuses any other duplicate. What is left of
# tmp_matches is the batch's new events. Readers join the two parts in alert_event_messages.
SEEN_SQL = ("DELETE FROM tmp_matches m WHERE EXISTS "
            "(SELECT 1 FROM alert_events e WHERE e.alert_rule_id = m.rule_id AND e.permit_change_id = m.change_id)")
EVENT_SQL = """
INSERT INTO alert_events (id, workspace_id, alert_rule_id, permit_id, permit_version_id, permit_change_id, distance_m, aoi_name, matched_by,
                          rule_name)
SELECT m.event_id, m.workspace_id, m.rule_id, m.permit_id, m.permit_version_id, m.change_id, m.distance_m, m.aoi_name, m.matched_by,
       m.rule_name
FROM tmp_matches m
"""
# A rule's plan that took no quota is the same for each of its events from the one it was
# made for (`change_from`) on: written once (tmp_rule_plans). Its in-app row is one row for
# those events (delivery writes a notification per event); its held digest rows are one per
# event, joined here. The events planned one by one (while they took SMS or e-mail quota)
# bring their own rows (tmp_outbox).
OUTBOX_SQL = """
INSERT INTO notification_outbox (workspace_id, alert_event_id, alert_rule_id, user_id, channel, to_address, status, next_attempt_at,
                                 digest_key, payload, change_from, change_upto)
SELECT p.workspace_id, NULL, p.rule_id, p.user_id, p.channel, p.to_address, p.status, p.next_attempt_at, p.digest_key, p.payload,
       p.change_from, %(upto)s
FROM tmp_rule_plans p WHERE p.channel = 'in_app'
UNION ALL
SELECT e.workspace_id, e.event_id, e.rule_id, p.user_id, p.channel, p.to_address, p.status, p.next_attempt_at, p.digest_key, p.payload,
       NULL, NULL
FROM tmp_matches e JOIN tmp_rule_plans p ON p.rule_id = e.rule_id AND e.change_id >= p.change_from
WHERE p.channel <> 'in_app'
UNION ALL
SELECT *, NULL, NULL FROM tmp_outbox
"""

# Every alert event also goes to the workspace's webhook endpoints that asked for them,
# queued in the same transaction as the event (services.webhooks.deliver sends them).
WEBHOOK_SQL = """
INSERT INTO notification_outbox (workspace_id, alert_event_id, alert_rule_id, channel, to_address, status, kind, event_type,
                                 webhook_endpoint_id, payload)
SELECT e.workspace_id, e.event_id, e.rule_id, 'webhook', w.url, 'pending', 'webhook', 'alert.created', w.id, '{}'::jsonb
FROM tmp_matches e JOIN webhook_endpoints w ON w.workspace_id = e.workspace_id AND w.enabled AND 'alert.created' = ANY(w.events)
WHERE e.workspace_id <> ALL(%s::uuid[])
"""


def evaluate_batch(conn: psycopg.Connection, *, limit: int = 5000, now: datetime | None = None) -> EvalResult:
    """Evaluate up to `limit` changes after the cursor, in one transaction."""
    now = now or datetime.now(UTC)
    res = EvalResult()
    with conn.transaction():
        cur = conn.cursor(row_factory=dict_row)
        last = cur.execute("SELECT last_change_id FROM alert_cursors WHERE name = %s FOR UPDATE", (CURSOR,)).fetchone()["last_change_id"]
        upto = cur.execute("SELECT max(id) AS m, count(*) AS n FROM (SELECT id FROM permit_changes WHERE id > %s ORDER BY id LIMIT %s) x",
                           (last, limit)).fetchone()
        res.cursor = last
        if upto["m"] is None:
            return res
        res.changes = upto["n"]
        # The changes and their matches stay in the database: temp tables the events are inserted from.
        # JIT compiling these short statements costs more than it saves; temp tables have
        # no statistics until analysed, and the planner needs them for the joins after.
        cur.execute("SET LOCAL jit = off")
        # ON COMMIT DROP waits for the outermost commit: a batch inside a caller's transaction
        # may follow another one on this connection.
        cur.execute("DROP TABLE IF EXISTS pg_temp.ch, pg_temp.tmp_matches, pg_temp.tmp_outbox, pg_temp.tmp_rule_plans")
        cur.execute(CHANGES_SQL, {"after": last, "upto": upto["m"]})
        # Row counts and the join keys are what the plans after need: geometry and JSON
        # statistics would cost more than the statement they inform.
        cur.execute("ANALYZE ch (change_id, change_type, county_code, operator_id)")
        cur.execute(MATCHES_SQL)
        res.matches = cur.rowcount
        cur.execute("ANALYZE tmp_matches (change_id, rule_id, workspace_id)")
        if res.matches:
            res.events, res.outbox = _write(cur, now, upto["m"])
        ages = cur.execute(AGES_SQL, {"now": now, "after": last, "upto": upto["m"]}).fetchall()
        cur.execute("UPDATE alert_cursors SET last_change_id = %s, updated_at = now() WHERE name = %s", (upto["m"], CURSOR))
        res.cursor = upto["m"]
    _observe(ages, res.events)
    return res


# Seconds since each change was recorded and, for new filings, since the source published
# the snapshot; observed once the batch committed.
AGES_SQL = """SELECT extract(epoch FROM %(now)s - c.created_at) AS recorded,
                     CASE WHEN c.change_type IN ('new', 'filed', 'approved') AND NOT ir.history
                          THEN extract(epoch FROM %(now)s - c.source_seen_at) END AS published
              FROM permit_changes c JOIN ingestion_runs ir ON ir.id = c.ingestion_run_id
              WHERE c.id > %(after)s AND c.id <= %(upto)s"""


def _observe(ages: list[dict], events: int) -> None:
    metrics.alert_events.inc(events)
    for a in ages:
        metrics.evaluation_lag.observe(max(0.0, float(a["recorded"])))
        if a["published"] is not None and float(a["published"]) <= metrics.FRESHNESS_WINDOW_SECONDS:
            metrics.filing_freshness.observe(max(0.0, float(a["published"])))


FIRSTS_SQL = """
SELECT f.event_id AS id, f.workspace_id, f.rule_id AS alert_rule_id, f.change_id AS permit_change_id, f.n,
       r.name, r.channels, r.recipients, r.quiet_hours, r.timezone, r.digest_mode, r.digest_at, r.digest_weekday
FROM (SELECT DISTINCT ON (rule_id) event_id, workspace_id, rule_id, change_id, count(*) OVER (PARTITION BY rule_id) AS n
      FROM tmp_matches ORDER BY rule_id, change_id) f
JOIN alert_rules r ON r.id = f.rule_id
"""


def _write(cur: psycopg.Cursor, now: datetime, upto: int) -> tuple[int, int]:
    cur.execute(MESSAGES_SQL)
    cur.execute(SEEN_SQL)
    cur.execute(EVENT_SQL)
    # Each rule's first event (in change order), how many it has, and how the rule delivers:
    # the rules are planned, not the events, unless a rule's plan takes quota.
    firsts = cur.execute(FIRSTS_SQL).fetchall()
    if not firsts:
        return 0, 0
    workspaces = sorted({e["workspace_id"] for e in firsts})
    rules = {e["alert_rule_id"]: RuleDelivery(e["alert_rule_id"], e["workspace_id"], e["name"], e["channels"], e["recipients"],
                                              e["quiet_hours"], e["timezone"], e["digest_mode"], e["digest_at"], e["digest_weekday"])
             for e in firsts}
    members = _members(cur, workspaces)
    usage = _usage(cur, workspaces, rules, now)
    planner = _Planner(rules, members, usage, now)
    one_by_one = [e["alert_rule_id"] for e in firsts if not planner.event(e) and e["n"] > 1]
    if one_by_one:  # rules whose plan took quota: their later events, in change order, until one takes none
        for e in cur.execute("""SELECT event_id AS id, workspace_id, rule_id AS alert_rule_id, change_id AS permit_change_id FROM tmp_matches
                                WHERE rule_id = ANY(%s) ORDER BY rule_id, change_id""", (one_by_one,)):
            if e["alert_rule_id"] not in planner.same and e["id"] not in planner.planned:
                planner.event(e)
    cur.execute(TEMP_TABLES)
    _copy(cur, "tmp_rule_plans", planner.rule_plans)
    _copy(cur, "tmp_outbox", planner.rows)
    outbox = cur.execute(OUTBOX_SQL, {"upto": upto}).rowcount + cur.execute(WEBHOOK_SQL, (list(usage.no_webhooks),)).rowcount
    for (channel, ws, day), used in usage.used.items():
        if used == usage.start.get((channel, ws, day)):
            continue
        cur.execute("INSERT INTO delivery_usage_daily (workspace_id, day, channel, count) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (workspace_id, day, channel) DO UPDATE SET count = EXCLUDED.count", (ws, day, channel, used))
    return sum(e["n"] for e in firsts), outbox


class _Planner:
    """Plans a batch's events rule by rule, each rule's in change order. Quotas only fill
    up, so once a rule's plan takes none it comes out the same for all its later events:
    that plan is kept once, from that event's change on (`rule_plans`); the events before
    it were planned one by one (`rows`)."""

    def __init__(self, rules: dict, members: dict, usage: Usage, now: datetime) -> None:
        self.rules, self.members, self.usage, self.now = rules, members, usage, now
        self.same: set[uuid.UUID] = set()
        self.planned: set[uuid.UUID] = set()
        self.rule_plans: list[tuple] = []
        self.rows: list[tuple] = []

    def event(self, e: dict) -> bool:
        """Plan one event; True when its rule's plan now holds for the rest of its events."""
        rule = self.rules[e["alert_rule_id"]]
        before = self.usage.takes
        planned = plan({}, rule, self.members.get(e["workspace_id"], {}), self.usage, self.now)
        if self.usage.takes == before:
            self.same.add(rule.rule_id)
            self.rule_plans += [(rule.rule_id, rule.workspace_id, e["permit_change_id"], r.user_id, r.channel, r.to_address, r.status,
                                 r.next_attempt_at, r.digest_key, _json(r.payload)) for r in planned]
            return True
        self.planned.add(e["id"])
        self.rows += [(e["workspace_id"], e["id"], rule.rule_id, r.user_id, r.channel, r.to_address, r.status, r.next_attempt_at,
                       r.digest_key, _json(r.payload)) for r in planned]
        return False


_EMPTY = json.dumps({})


def _json(payload: dict) -> str:
    return json.dumps(payload, default=str) if payload else _EMPTY


TEMP_TABLES = """
CREATE TEMP TABLE tmp_outbox (workspace_id uuid, alert_event_id uuid, alert_rule_id uuid, user_id uuid,
  channel text, to_address text, status text, next_attempt_at timestamptz, digest_key text, payload jsonb) ON COMMIT DROP;
CREATE TEMP TABLE tmp_rule_plans (rule_id uuid, workspace_id uuid, change_from bigint, user_id uuid, channel text, to_address text,
  status text, next_attempt_at timestamptz, digest_key text, payload jsonb) ON COMMIT DROP;
"""


def _copy(cur: psycopg.Cursor, table: str, rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def _members(cur: psycopg.Cursor, workspaces: list[uuid.UUID]) -> dict[uuid.UUID, dict[uuid.UUID, Member]]:
    out: dict[uuid.UUID, dict[uuid.UUID, Member]] = {}
    for r in cur.execute("SELECT m.workspace_id, u.id, u.email, u.email_verified_at IS NOT NULL AS ev, u.phone, "
                         f"u.phone_verified_at IS NOT NULL AS pv, {SMS_PAUSED_SQL} AS sms_paused, {EMAIL_PAUSED_SQL} AS email_paused "
                         "FROM workspace_members m JOIN users u ON u.id = m.user_id "
                         "WHERE m.workspace_id = ANY(%s) AND u.disabled_at IS NULL", (workspaces,)).fetchall():
        out.setdefault(r["workspace_id"], {})[r["id"]] = Member(r["id"], r["email"], r["ev"], r["phone"], r["pv"], r["sms_paused"],
                                                                r["email_paused"])
    return out


def _usage(cur: psycopg.Cursor, workspaces: list[uuid.UUID], rules: dict[uuid.UUID, RuleDelivery], now: datetime) -> Usage:
    """Today's SMS counts, locked for this transaction so two evaluators cannot both take
    the last allowed message."""
    usage = Usage()
    for r in cur.execute("SELECT workspace_id, sms_per_day, email_per_day FROM workspace_quotas WHERE workspace_id = ANY(%s)",
                         (workspaces,)).fetchall():
        for channel in CHANNELS:
            usage.per_day[(channel, r["workspace_id"])] = r[f"{channel}_per_day"]
    # Monthly limits and whether messages go at all: the workspace's plan and standing.
    for ws, billing in account.load_many(cur.connection.cursor(), workspaces).items():
        ent = entitlements(billing, now)
        usage.per_month[("sms", ws)] = sms_ceiling(ent)
        usage.per_month[("email", ws)] = ent.limits.email_per_month
        if not ent.standing.sends:
            usage.paused[ws] = ent.standing.message or "alerts are paused"
        if not (ent.standing.sends and ent.has(WEBHOOKS)):
            usage.no_webhooks.add(ws)
    days = sorted({(rule.workspace_id, local_day(now, rule.timezone).isoformat()) for rule in rules.values()})
    for ws, day in days:
        for channel in CHANNELS:
            usage.used[(channel, ws, day)] = usage.start[(channel, ws, day)] = 0
    # One statement for every workspace's day (not one per workspace), rows locked.
    for r in cur.execute("""SELECT u.workspace_id, u.day::text AS day, u.channel, u.count FROM delivery_usage_daily u
                            JOIN unnest(%s::uuid[], %s::date[]) AS d(ws, day) ON u.workspace_id = d.ws AND u.day = d.day
                            WHERE u.channel = ANY(%s) FOR UPDATE OF u""",
                         ([w for w, _ in days], [d for _, d in days], list(CHANNELS))).fetchall():
        usage.used[(r["channel"], r["workspace_id"], r["day"])] = usage.start[(r["channel"], r["workspace_id"], r["day"])] = r["count"]
    monthly = sorted(usage.per_month)
    if monthly:
        first_day: dict[uuid.UUID, str] = {}
        for ws, day in days:  # sorted: a workspace's first day comes first
            first_day.setdefault(ws, day)
        # what the month's other days used (the days loaded above are counted in `used`)
        for r in cur.execute("""SELECT u.channel, u.workspace_id, coalesce(sum(u.count), 0) AS n
                                FROM unnest(%(c)s::text[], %(w)s::uuid[], %(f)s::date[]) AS q(channel, ws, day)
                                JOIN delivery_usage_daily u ON u.workspace_id = q.ws AND u.channel = q.channel
                                 AND u.day >= date_trunc('month', q.day)
                                WHERE NOT EXISTS (SELECT 1 FROM unnest(%(dw)s::uuid[], %(dd)s::date[]) AS d(ws, day)
                                                  WHERE d.ws = u.workspace_id AND d.day = u.day)
                                GROUP BY 1, 2""",
                             {"c": [c for c, _ in monthly], "w": [w for _, w in monthly],
                              "f": [first_day.get(w, now.date().isoformat()) for _, w in monthly],
                              "dw": [w for w, _ in days], "dd": [d for _, d in days]}).fetchall():
            usage.month_other_days[(r["channel"], r["workspace_id"])] = r["n"]
        for key in monthly:
            usage.month_other_days.setdefault(key, 0)
    return usage


def evaluate_pending(conn: psycopg.Connection, *, limit: int = 5000, max_batches: int = 1000) -> EvalResult:
    """Batches until the feed is drained."""
    total = EvalResult()
    for _ in range(max_batches):
        r = evaluate_batch(conn, limit=limit)
        total.changes += r.changes
        total.matches += r.matches
        total.events += r.events
        total.outbox += r.outbox
        total.cursor = r.cursor
        if r.changes == 0:
            break
    return total
