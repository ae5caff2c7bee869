"""The evaluator on real permits: spatial matching in metres (surface, bottom hole,
lateral), filters and watchlists, notify_on, and every change evaluated exactly once."""

import threading
import uuid

import psycopg
import pytest

from services.alerting import report, rule_store
from services.alerting import rules as R
from services.alerting.delivery import deliver_in_app
from services.alerting.evaluate import evaluate_batch, evaluate_pending
from services.db.engine import set_tenant
from services.tenancy import admin
from tests.conftest import news, rules_predate_files

BASE = "https://permitwatch.example"
# 0916200-99 (Anderson County), read off the 2026-07-28 file by hand.
SURFACE = (-96.0030069, 31.9374525)
BOTTOM = (-96.0105349, 31.966637)


@pytest.fixture
def world(settings, app_conn):
    news(settings, "2026-07-28")
    ws = admin.create_workspace(app_conn, "Acme Land", "landman@example.com", phone="+15125550100", verified=True)
    return ws


def _square_around(conn, lon, lat, east_m, half_m):
    """A square of side 2*half_m whose centre is east_m metres east of (lon, lat)."""
    geo = conn.execute("""SELECT ST_AsGeoJSON(ST_Envelope(ST_Buffer(ST_Project(ST_MakePoint(%s, %s)::geography, %s, radians(90)), %s)::geometry))::json""",
                       (lon, lat, east_m, half_m)).fetchone()[0]
    conn.commit()  # end this read, so the admin helpers' transactions commit rather than nest
    return geo


def _rule(conn, ws, **kw):
    spec = R.RuleSpec(name=kw.pop("name", "rule"), recipients=[ws.user_id], notify_on=kw.pop("notify_on", "all_changes"), **kw)
    with conn.transaction():
        cur = conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        rule_id = rule_store.save(cur, ws.workspace_id, spec, actor=ws.user_id)
    rules_predate_files(conn)
    return rule_id


def _events(worker_conn, rule_id):
    return worker_conn.execute("SELECT e.payload FROM alert_event_messages e WHERE e.alert_rule_id = %s", (rule_id,)).fetchall()


@pytest.mark.parametrize("buffer_m,matches", [(850, False), (1000, True)])
def test_buffers_are_metres_on_the_ground(app_conn, worker_conn, world, buffer_m, matches):
    # The AOI's near edge is 1,000 - 100 = 900 m east of the surface location (at 32N a
    # degree of longitude is 94.5 km, so degrees would be badly wrong here).
    geo = _square_around(app_conn, *SURFACE, 1000, 100)
    aoi = admin.create_aoi(app_conn, world.workspace_id, "east pad", geo, buffer_meters=buffer_m)
    rule = _rule(app_conn, world, aoi_id=aoi)
    evaluate_pending(worker_conn)
    found = [p for (p,) in _events(worker_conn, rule) if p["status_number"] == "0916200"]
    assert bool(found) is matches
    if matches:
        assert 880 < found[0]["distance_m"] < 920 and found[0]["matched_by"] == "surface location"


def test_bottom_hole_and_lateral_match_too(app_conn, worker_conn, world):
    bh = admin.create_aoi(app_conn, world.workspace_id, "bh", _square_around(app_conn, *BOTTOM, 0, 50))
    mid = ((SURFACE[0] + BOTTOM[0]) / 2, (SURFACE[1] + BOTTOM[1]) / 2)
    lat = admin.create_aoi(app_conn, world.workspace_id, "mid", _square_around(app_conn, *mid, 0, 50))
    r_bh, r_lat = _rule(app_conn, world, aoi_id=bh, name="bh"), _rule(app_conn, world, aoi_id=lat, name="lat")
    evaluate_pending(worker_conn)
    assert [p["matched_by"] for (p,) in _events(worker_conn, r_bh) if p["status_number"] == "0916200"] == ["bottom-hole location"]
    assert [p["matched_by"] for (p,) in _events(worker_conn, r_lat) if p["status_number"] == "0916200"] == ["lateral"]


def test_saved_search_and_watchlist_must_both_match(app_conn, worker_conn, world, owner_conn):
    black_swan = owner_conn.execute("SELECT id FROM operators WHERE p5_number = '101935'").fetchone()[0]
    search = admin.create_saved_search(app_conn, world.workspace_id, "Glasscock horizontals",
                                       {"counties": ["Glasscock"], "profiles": ["horizontal"]})
    watch = admin.create_watchlist(app_conn, world.workspace_id, "rivals", [black_swan])
    rule = _rule(app_conn, world, saved_search_id=search, watchlist_id=watch, notify_on="new_and_amendments")
    evaluate_pending(worker_conn)
    got = sorted((p["status_number"], p["change_type"]) for (p,) in _events(worker_conn, rule))
    expected = owner_conn.execute("""
        SELECT p.source_permit_no, c.change_type FROM permit_changes c JOIN permits p ON p.id = c.permit_id
        JOIN permit_versions v ON v.id = c.permit_version_id
        WHERE v.county_code = '173' AND v.wellbore_profile = 'horizontal' AND v.operator_id = %s
          AND c.change_type IN ('new', 'amended') ORDER BY 1, 2""", (black_swan,)).fetchall()
    assert got == [tuple(r) for r in expected] and got
    assert {t for _, t in got} == {"new", "amended"}  # 0916838 has 99, 98 and 97


def test_notify_on_new_only_skips_amendments(app_conn, worker_conn, world):
    search = admin.create_saved_search(app_conn, world.workspace_id, "Glasscock", {"counties": ["173"]})
    rule = _rule(app_conn, world, saved_search_id=search, notify_on="new_only")
    evaluate_pending(worker_conn)
    assert {p["change_type"] for (p,) in _events(worker_conn, rule)} == {"new"}


def test_each_change_is_evaluated_once_even_twice_or_by_two_evaluators(settings, app_conn, worker_conn, world):
    search = admin.create_saved_search(app_conn, world.workspace_id, "everything", {"statuses": ["approved"]})
    rule = _rule(app_conn, world, saved_search_id=search)
    total = worker_conn.execute("SELECT count(*) FROM permit_changes").fetchone()[0]
    results = []

    def run():
        with psycopg.connect(settings.worker_database_url) as c:
            results.append(evaluate_pending(c, limit=100))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(r.changes for r in results) == total  # the feed split between them, nothing twice
    assert len(_events(worker_conn, rule)) == total
    # Rewind the cursor (an operator's mistake): the one-event-per-rule-and-change key stops every duplicate.
    worker_conn.execute("UPDATE alert_cursors SET last_change_id = 0")
    worker_conn.commit()
    again = evaluate_pending(worker_conn)
    assert again.matches == total and again.events == 0 and again.outbox == 0
    assert len(_events(worker_conn, rule)) == total


def test_a_crash_before_commit_evaluates_nothing(app_conn, worker_conn, world, monkeypatch):
    search = admin.create_saved_search(app_conn, world.workspace_id, "all", {"statuses": ["approved"]})
    _rule(app_conn, world, saved_search_id=search)
    import services.alerting.evaluate as ev

    monkeypatch.setattr(ev, "plan", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("worker died")))
    with pytest.raises(RuntimeError):
        evaluate_batch(worker_conn)
    worker_conn.rollback()
    assert worker_conn.execute("SELECT last_change_id FROM alert_cursors").fetchone() == (0,)
    assert worker_conn.execute("SELECT count(*) FROM alert_events").fetchone() == (0,)


def test_event_payload_has_what_a_message_needs(app_conn, worker_conn, world):
    aoi = admin.create_aoi(app_conn, world.workspace_id, "around", _square_around(app_conn, *SURFACE, 0, 300))
    rule = _rule(app_conn, world, aoi_id=aoi, channels={"sms": True, "email": True, "in_app": True})
    evaluate_pending(worker_conn)
    (p,) = [p for (p,) in _events(worker_conn, rule) if p["status_number"] == "0916200"]
    assert p["operator_name"].startswith("PERFORMANCE OPERATING") and p["county"] == "Anderson"
    assert (p["lease_name"], p["well_number"], p["filing_purpose"], p["wellbore_profile"]) == ("EDENS-BOWYER (AW)", "1H", "New Drill", "horizontal")
    assert p["distance_m"] == 0 and p["aoi_name"] == "around"
    rows = worker_conn.execute("SELECT channel, to_address, status FROM notification_outbox o JOIN alert_event_messages e ON e.id = o.alert_event_id "
                               "WHERE e.payload->>'status_number' = '0916200' ORDER BY channel").fetchall()
    assert rows == [("email", "landman@example.com", "pending"), ("in_app", None, "pending"), ("sms", "+15125550100", "pending")]


def test_rule_edits_are_audited_and_bad_rules_refused(app_conn, world):
    with pytest.raises(R.RuleError, match="does not exist"):
        _rule(app_conn, world, aoi_id=uuid.uuid4())
    app_conn.rollback()
    search = admin.create_saved_search(app_conn, world.workspace_id, "s", {"counties": ["173"]})
    rid = _rule(app_conn, world, saved_search_id=search)
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, world.workspace_id, world.user_id)
        rule_store.set_enabled(cur, world.workspace_id, rid, False, actor=world.user_id)
        actions = [a for (a,) in cur.execute("SELECT action FROM audit_log WHERE entity_id = %s ORDER BY id", (str(rid),))]
    assert actions == ["alert_rule.created", "alert_rule.disabled"]


def test_worker_role_reaches_alerting_tables_only(worker_conn, world):
    assert worker_conn.execute("SELECT count(*) FROM workspaces").fetchone() == (1,)
    for table in ("api_keys", "export_jobs", "audit_log", "api_usage_daily"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            worker_conn.execute(f"SELECT count(*) FROM {table}")
        worker_conn.rollback()


def test_a_permit_whose_location_is_published_later_arrives_as_new_in_the_area(settings, app_conn, worker_conn, owner_conn):
    # 25 permits had no coordinates on 07-27 and got them on 07-28 (location_changed).
    news(settings, "2026-07-27")
    ws = admin.create_workspace(app_conn, "Late", "late@example.com", verified=True)
    news(settings, "2026-07-28")
    (lon, lat, number) = owner_conn.execute(
        """SELECT ST_X(v.geom), ST_Y(v.geom), p.source_permit_no FROM permit_changes c
           JOIN permit_versions v ON v.id = c.permit_version_id JOIN permits p ON p.id = c.permit_id
           WHERE c.change_type = 'location_changed' AND jsonb_typeof(c.details->'fields'->'surface_location'->0) = 'null'
           ORDER BY c.id LIMIT 1""").fetchone()
    owner_conn.commit()
    aoi = admin.create_aoi(app_conn, ws.workspace_id, "late pad", _square_around(app_conn, lon, lat, 0, 200))
    rule = _rule(app_conn, ws, aoi_id=aoi, notify_on="new_only")
    evaluate_pending(worker_conn)
    events = [p for (p,) in _events(worker_conn, rule)]
    mine = [p for p in events if p["status_number"] == number]
    assert len(mine) == 1 and mine[0]["change_type"] == "location_changed" and mine[0]["first_located"] is True
    from services.alerting import messages
    assert messages.sms(mine[0], BASE).startswith(f"NEW PERMIT HERE {number}")
    # Its earlier 'new' change (no coordinates) matched nothing: one alert, not two.
    assert all(p["change_type"] != "new" for p in mine)


def test_each_recipient_gets_the_channels_they_can_receive(app_conn, worker_conn, world):
    colleague = admin.add_member(app_conn, world.workspace_id, "geo@example.com", phone="+15125550199", verified=False)
    search = admin.create_saved_search(app_conn, world.workspace_id, "Midland", {"counties": ["329"]})
    spec = R.RuleSpec(name="team", saved_search_id=search, recipients=[world.user_id, colleague],
                      channels={"sms": True, "email": True, "in_app": True})
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, world.workspace_id, world.user_id)
        rule_store.save(cur, world.workspace_id, spec, actor=world.user_id)
    rules_predate_files(worker_conn)
    evaluate_pending(worker_conn)
    per_user = dict(worker_conn.execute(
        "SELECT user_id, string_agg(DISTINCT channel, ',' ORDER BY channel) FROM notification_outbox GROUP BY 1").fetchall())
    # The colleague's phone and email are not verified: only the in-app inbox reaches them.
    assert per_user == {world.user_id: "email,in_app,sms", colleague: "in_app"}


def _midland_in_app_rule(app_conn, world):
    search = admin.create_saved_search(app_conn, world.workspace_id, "Midland", {"counties": ["329"]})
    return _rule(app_conn, world, saved_search_id=search)  # in-app only: its plan never takes quota


def _count(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


def test_one_in_app_row_per_rule_and_batch_puts_each_event_in_the_inbox_once(app_conn, worker_conn, world):
    rule = _midland_in_app_rule(app_conn, world)
    res = evaluate_pending(worker_conn)
    events = _count(worker_conn, "SELECT count(*) FROM alert_events WHERE alert_rule_id = %s", rule)
    assert events > 1 and res.events == events
    rows = worker_conn.execute("SELECT id, alert_event_id, change_from, change_upto FROM notification_outbox "
                               "WHERE alert_rule_id = %s AND channel = 'in_app'", (rule,)).fetchall()
    first, last = worker_conn.execute("SELECT min(permit_change_id), max(permit_change_id) FROM alert_events WHERE alert_rule_id = %s",
                                      (rule,)).fetchone()
    ((row_id, event_id, change_from, change_upto),) = rows
    assert event_id is None and change_from == first and change_upto >= last
    worker_conn.commit()
    assert deliver_in_app(worker_conn) == events
    assert worker_conn.execute("SELECT count(*), count(DISTINCT alert_event_id), min(outbox_id), max(outbox_id) FROM notifications").fetchone() \
        == (events, events, row_id, row_id)
    # A second row over the same events (a rewound cursor's batch) adds nothing to the inbox.
    worker_conn.execute("""INSERT INTO notification_outbox (workspace_id, alert_rule_id, user_id, channel, change_from, change_upto)
                           VALUES (%s, %s, %s, 'in_app', 0, %s)""", (world.workspace_id, rule, world.user_id, change_upto))
    worker_conn.commit()
    assert deliver_in_app(worker_conn) == 0
    assert _count(worker_conn, "SELECT count(*) FROM notifications") == events


def test_deleting_a_rule_or_its_workspace_deletes_its_events(app_conn, worker_conn, owner_conn, world):
    rule = _midland_in_app_rule(app_conn, world)
    other = _rule(app_conn, world, name="everything", saved_search_id=admin.create_saved_search(
        app_conn, world.workspace_id, "approved", {"statuses": ["approved"]}))
    evaluate_pending(worker_conn)
    worker_conn.commit()
    assert _count(worker_conn, "SELECT count(*) FROM alert_events WHERE alert_rule_id = %s", rule) > 0
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, world.workspace_id, world.user_id)
        rule_store.delete(cur, world.workspace_id, rule, actor=world.user_id)
    assert _count(worker_conn, "SELECT count(*) FROM alert_events WHERE alert_rule_id = %s", rule) == 0
    assert _count(worker_conn, "SELECT count(*) FROM notification_outbox WHERE alert_rule_id = %s", rule) == 0
    assert _count(worker_conn, "SELECT count(*) FROM alert_events WHERE alert_rule_id = %s", other) > 0
    worker_conn.commit()
    owner_conn.execute("DELETE FROM workspaces WHERE id = %s", (world.workspace_id,))
    owner_conn.commit()
    assert _count(worker_conn, "SELECT count(*) FROM alert_events") == 0


def test_a_rule_being_deleted_waits_for_the_batch_writing_its_events(settings, app_conn, worker_conn, world):
    rule = _midland_in_app_rule(app_conn, world)
    permit, version = worker_conn.execute("SELECT permit_id, id FROM permit_versions LIMIT 1").fetchone()
    worker_conn.execute("INSERT INTO alert_events (workspace_id, alert_rule_id, permit_id, permit_version_id) VALUES (%s, %s, %s, %s)",
                        (world.workspace_id, rule, permit, version))  # not committed: a batch in flight
    with psycopg.connect(settings.database_owner_url) as other:
        other.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("DELETE FROM alert_rules WHERE id = %s", (rule,))
    worker_conn.commit()
    with psycopg.connect(settings.database_owner_url) as other:
        other.execute("DELETE FROM alert_rules WHERE id = %s", (rule,))  # after the batch: its event goes with the rule
    assert _count(worker_conn, "SELECT count(*) FROM alert_events WHERE alert_rule_id = %s", rule) == 0


def test_a_rule_with_events_keeps_its_workspace(app_conn, worker_conn, owner_conn, world):
    rule = _midland_in_app_rule(app_conn, world)
    evaluate_pending(worker_conn)
    worker_conn.commit()
    elsewhere = admin.create_workspace(app_conn, "Elsewhere", "else@example.com")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        owner_conn.execute("UPDATE alert_rules SET workspace_id = %s WHERE id = %s", (elsewhere.workspace_id, rule))
    owner_conn.rollback()


def test_the_event_report_shows_each_event_s_in_app_delivery_from_its_batch_row(app_conn, worker_conn, world):
    _midland_in_app_rule(app_conn, world)
    evaluate_pending(worker_conn)
    worker_conn.commit()
    shown = report.events(worker_conn, limit=10000)
    assert len(shown) > 1 and {e["delivery"] for e in shown} == {"in_app:pending"}
    worker_conn.commit()
    deliver_in_app(worker_conn)
    assert {e["delivery"] for e in report.events(worker_conn, limit=10000)} == {"in_app:sent"}
