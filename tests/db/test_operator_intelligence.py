"""Operator intelligence over generated data: the comparison aggregate against hand-written
SQL over the permits, the ranking from the aggregate against the ranking from the permits,
areas, groups, lineage and the operator's timeline."""

from datetime import date, timedelta

import psycopg
import pytest

from services.db.engine import set_tenant
from services.ingestion import backfill
from services.ingestion.demo import write_demo
from services.operators import compare, identity, profile, watchlists
from services.tenancy import admin

SEED, PERMITS, START, DAYS = 7, 700, date(2026, 6, 1), 40
LATER = START + timedelta(days=DAYS + 400)  # "today": every permit is old enough to judge

HAND_WRITTEN = """
SELECT operator_id, coalesce(county_code, ''), issued_date, count(*),
       sum(CASE WHEN wellbore_profile = 'horizontal' THEN 1 ELSE 0 END),
       sum(CASE WHEN spud_date IS NOT NULL THEN 1 ELSE 0 END),
       array_remove(array_agg(total_depth ORDER BY total_depth), NULL),
       array_remove(array_agg(spud_date - issued_date ORDER BY spud_date - issued_date), NULL)
FROM permits_current WHERE operator_id IS NOT NULL AND issued_date IS NOT NULL
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
AGGREGATE = ("SELECT operator_id, county_code, issued_date, permits, horizontal, spudded, depths, days_to_spud "
             "FROM operator_stats_daily ORDER BY 1, 2, 3")


@pytest.fixture
def loaded(settings, tmp_path):
    folder = tmp_path / "demo"
    write_demo(folder, seed=SEED, permits=PERMITS, start=START, days=DAYS)
    files, _ = backfill.plan(folder)
    backfill.run(settings, files, source="rrc_daf420")
    return settings


def _busiest(conn, column: str) -> str:
    # A tie on permits goes to the place with more spuds, then by name: the same place every
    # run, and one whose spud medians the ranking test can compare.
    return conn.execute(f"SELECT {column} FROM permits_current WHERE issued_date IS NOT NULL "
                        "GROUP BY 1 ORDER BY count(*) DESC, count(spud_date) DESC, 1 LIMIT 1").fetchone()[0]


def _period() -> dict:
    return {"start": START + timedelta(days=DAYS // 2), "end": START + timedelta(days=DAYS - 1)}


def test_the_aggregate_kept_by_ingestion_equals_hand_written_sql_over_the_permits(loaded, owner_conn):
    aggregate = owner_conn.execute(AGGREGATE).fetchall()
    assert owner_conn.execute(MONTHLY).fetchall() == owner_conn.execute(MONTHLY_BY_HAND).fetchall()
    assert aggregate == owner_conn.execute(HAND_WRITTEN).fetchall()
    changes = dict(owner_conn.execute("SELECT change_type, count(*) FROM permit_changes GROUP BY 1").fetchall())
    # the month moved the figures the aggregate must follow: amendments and spuds
    assert changes["amended"] > 0 and changes["spudded"] > 0
    assert sum(r[5] for r in aggregate) > 0


def test_the_aggregate_still_equals_the_permits_after_two_operators_are_merged(loaded, owner_conn):
    keep, absorb = [r[0] for r in owner_conn.execute(
        "SELECT operator_id FROM permits_current GROUP BY 1 ORDER BY count(*) DESC LIMIT 2").fetchall()]
    identity.merge(owner_conn.cursor(), keep, absorb, actor="test", reason="same company")
    assert owner_conn.execute(AGGREGATE).fetchall() == owner_conn.execute(HAND_WRITTEN).fetchall()
    assert owner_conn.execute(MONTHLY).fetchall() == owner_conn.execute(MONTHLY_BY_HAND).fetchall()
    assert owner_conn.execute("SELECT count(*) FROM operator_stats_daily WHERE operator_id = %s", (absorb,)).fetchone()[0] == 0


MONTHLY_BY_HAND = """
SELECT operator_id, coalesce(county_code, ''), date_trunc('month', issued_date)::date, count(*)::int,
       count(*) FILTER (WHERE wellbore_profile = 'horizontal')::int, count(spud_date)::int,
       (SELECT coalesce(array_agg(v ORDER BY v), '{}') FROM (SELECT DISTINCT unnest(array_agg(total_depth)) v) x WHERE v IS NOT NULL),
       (SELECT coalesce(array_agg(n ORDER BY v), '{}') FROM (SELECT v, count(*)::int n FROM unnest(array_agg(total_depth)) v
                                                              WHERE v IS NOT NULL GROUP BY v) x),
       (SELECT coalesce(array_agg(v ORDER BY v), '{}') FROM (SELECT DISTINCT unnest(array_agg(spud_date - issued_date)) v) x WHERE v IS NOT NULL),
       (SELECT coalesce(array_agg(n ORDER BY v), '{}') FROM (SELECT v, count(*)::int n FROM unnest(array_agg(spud_date - issued_date)) v
                                                              WHERE v IS NOT NULL GROUP BY v) x)
FROM permits_current WHERE operator_id IS NOT NULL AND issued_date IS NOT NULL
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
MONTHLY = ("SELECT operator_id, county_code, month, permits, horizontal, spudded, depth_values, depth_counts, spud_values, spud_counts "
           "FROM operator_stats_monthly ORDER BY 1, 2, 3")


def test_the_monthly_aggregate_equals_value_counts_written_by_hand_over_the_permits(loaded, owner_conn):
    monthly = owner_conn.execute(MONTHLY).fetchall()
    assert len(monthly) > 10 and monthly == owner_conn.execute(MONTHLY_BY_HAND).fetchall()
    assert any(sum(r[7]) > len(r[7]) for r in monthly)  # some depth stands for several permits


MONTH_TO_DATE = ("SELECT operator_id, county_code, issued_date, mtd_permits, mtd_horizontal, mtd_spudded, mtd_depth_values, "
                 "mtd_depth_counts, mtd_spud_values, mtd_spud_counts FROM operator_stats_daily ORDER BY 1, 2, 3")
# Each daily row's month to date, by hand: the permits of its operator and county from the
# 1st of its month through its day, and their depths and days to spud as value counts.
MONTH_TO_DATE_BY_HAND = """
WITH p AS (SELECT d.operator_id, d.county_code, d.issued_date, c.wellbore_profile, c.total_depth, c.spud_date - c.issued_date AS spud_days
           FROM operator_stats_daily d JOIN permits_current c ON c.operator_id = d.operator_id
            AND coalesce(c.county_code, '') = d.county_code
            AND c.issued_date BETWEEN date_trunc('month', d.issued_date)::date AND d.issued_date),
dep AS (SELECT operator_id, county_code, issued_date, array_agg(v ORDER BY v) AS vals, array_agg(n ORDER BY v) AS cnts
        FROM (SELECT operator_id, county_code, issued_date, total_depth AS v, count(*)::int AS n FROM p
              WHERE total_depth IS NOT NULL GROUP BY 1, 2, 3, 4) x GROUP BY 1, 2, 3),
spd AS (SELECT operator_id, county_code, issued_date, array_agg(v ORDER BY v) AS vals, array_agg(n ORDER BY v) AS cnts
        FROM (SELECT operator_id, county_code, issued_date, spud_days AS v, count(*)::int AS n FROM p
              WHERE spud_days IS NOT NULL GROUP BY 1, 2, 3, 4) x GROUP BY 1, 2, 3)
SELECT operator_id, county_code, issued_date, count(*)::int, count(*) FILTER (WHERE wellbore_profile = 'horizontal')::int,
       count(spud_days)::int, coalesce(min(dep.vals), '{}'), coalesce(min(dep.cnts), '{}'), coalesce(min(spd.vals), '{}'),
       coalesce(min(spd.cnts), '{}')
FROM p LEFT JOIN dep USING (operator_id, county_code, issued_date) LEFT JOIN spd USING (operator_id, county_code, issued_date)
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


def test_each_days_month_to_date_equals_value_counts_written_by_hand_over_the_permits(loaded, owner_conn):
    rows = owner_conn.execute(MONTH_TO_DATE).fetchall()
    assert rows == owner_conn.execute(MONTH_TO_DATE_BY_HAND).fetchall()
    # some days carry earlier days of their month, and some depth stands for several permits
    assert owner_conn.execute("SELECT count(*) FROM operator_stats_daily WHERE mtd_permits > permits").fetchone()[0] > 0
    assert any(n > 1 for r in rows for n in r[7])


# Periods that read the aggregate three ways: every day cut (daily rows only); whole June and
# July (monthly rows) with one daily row; and the spud cut-off inside June.
PERIODS = [
    (_period(), LATER),
    ({"start": date(2026, 7, 1), "end": date(2026, 7, 31)}, LATER),
    ({"start": date(2026, 6, 1), "end": date(2026, 7, 31)}, date(2026, 6, 15) + timedelta(days=compare.JUDGE_AFTER_DAYS)),
]


def _medians(rows: list[dict]) -> dict:
    return {r["who"]: (r["median_depth"], r["median_days_to_spud"]) for r in rows}


def _medians_by_hand(conn, column: str, value: str, s, today: date, ranked: list[dict]) -> dict:
    """The ranked operators' medians by PostgreSQL's percentile_cont over their permits."""
    judge = compare.judged_before(s, today)
    rows = conn.execute(f"""
        SELECT operator_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY total_depth),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY spud_date - issued_date) FILTER (WHERE issued_date <= %s)
        FROM permits_current WHERE {column} = %s AND issued_date BETWEEN %s AND %s GROUP BY 1""", (judge, value, s.start, s.end))
    who = {r["who"] for r in ranked}
    return {r[0]: (r[1], r[2]) for r in rows if r[0] in who}


@pytest.mark.parametrize("kind", ["county", "district"])
def test_the_ranking_from_the_aggregate_equals_the_ranking_from_the_permits(loaded, owner_conn, kind):
    value = _busiest(owner_conn, "county_code" if kind == "county" else "district")
    place = {"county": None, "district": None, "aoi": None, kind: value}
    medians = set()
    for period, today in PERIODS[1:]:
        s = compare.scope(**place, **period, today=today)
        rows = compare.rank(owner_conn.cursor(), s, today=today)
        assert rows and rows == compare.rank(owner_conn.cursor(), s, today=today, source="permits"), (period, today)
        medians |= {k for r in rows for k in ("median_depth", "median_days_to_spud") if r[k] is not None}
        assert _medians(rows) == _medians_by_hand(owner_conn, "county_code" if kind == "county" else "district", value, s, today, rows)
    assert medians == {"median_depth", "median_days_to_spud"}  # both medians were compared, not only their absence
    s = compare.scope(**place, **_period(), today=LATER)
    from_aggregate = compare.rank(owner_conn.cursor(), s, today=LATER)
    assert from_aggregate == compare.rank(owner_conn.cursor(), s, today=LATER, source="permits")
    column = "county_code" if kind == "county" else "district"
    by_hand = dict(owner_conn.execute(f"""SELECT operator_id, count(*) FROM permits_current WHERE {column} = %s
                                          AND issued_date BETWEEN %s AND %s GROUP BY 1""", (value, s.start, s.end)).fetchall())
    before = dict(owner_conn.execute(f"""SELECT operator_id, count(*) FROM permits_current WHERE {column} = %s
                                         AND issued_date BETWEEN %s AND %s GROUP BY 1""", (value, *s.previous)).fetchall())
    assert {r["who"]: r["permits"] for r in from_aggregate} == by_hand
    assert {r["who"]: r["previous"] for r in from_aggregate if r["previous"]} == {k: v for k, v in before.items() if k in by_hand}
    assert [r["permits"] for r in from_aggregate] == sorted(by_hand.values(), reverse=True)
    # the medians by PostgreSQL's own percentile over the permits (this period cuts both months)
    assert _medians(from_aggregate) == _medians_by_hand(owner_conn, column, value, s, LATER, from_aggregate)
    assert abs(sum(r["share"] for r in from_aggregate) - 100) < 0.1 * len(from_aggregate)


@pytest.mark.parametrize("kind", ["county", "district"])
def test_a_comparison_planned_once_for_every_place_and_period_ranks_as_the_permits_do(loaded, owner_conn, kind):
    # The aggregate's statement gets one generic plan for every place and period; it must
    # rank exactly as the permits (planned for each call) do, and leave the caller's setting as it was.
    value = _busiest(owner_conn, "county_code" if kind == "county" else "district")
    place = {"county": None, "district": None, "aoi": None, kind: value}
    owner_conn.execute("SET plan_cache_mode = force_custom_plan")
    for period, today in [*PERIODS, *PERIODS]:  # twice: the second round runs the prepared plans
        s = compare.scope(**place, **period, today=today)
        rows = compare.rank(owner_conn.cursor(), s, today=today)
        assert rows and rows == compare.rank(owner_conn.cursor(), s, today=today, source="permits"), period
    assert owner_conn.execute("SELECT sum(generic_plans) FROM pg_prepared_statements").fetchone()[0] >= len(PERIODS)
    assert owner_conn.execute("SELECT current_setting('plan_cache_mode')").fetchone()[0] == "force_custom_plan"


def _workspace(app_conn):
    ws = admin.create_workspace(app_conn, "Comparisons", "vp@example.com", verified=True)
    cur = app_conn.cursor()
    set_tenant(cur, ws.workspace_id, ws.user_id)
    return ws, cur


def test_an_area_ranks_the_permits_inside_it_with_its_buffer(loaded, app_conn):
    ws, cur = _workspace(app_conn)
    lon, lat = cur.execute("SELECT ST_X(geom), ST_Y(geom) FROM permits_current WHERE geom IS NOT NULL "
                           "GROUP BY geom ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
    aoi = cur.execute("INSERT INTO aois (workspace_id, name, geom, buffer_meters) VALUES "
                      "(%s, 'Spraberry block', ST_Multi(ST_Expand(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 0.3)), 2000) RETURNING id",
                      (ws.workspace_id, lon, lat)).fetchone()[0]
    s = compare.scope(county=None, district=None, aoi=str(aoi), **_period(), today=LATER)
    rows = compare.rank(cur, s, today=LATER)
    by_hand = dict(cur.execute("""SELECT c.operator_id, count(*) FROM permits_current c JOIN aois a ON a.id = %s
                                  WHERE ST_DWithin(a.geom::geography, c.geom::geography, 2000) AND c.issued_date BETWEEN %s AND %s
                                  GROUP BY 1""", (aoi, s.start, s.end)).fetchall())
    assert by_hand and {r["who"]: r["permits"] for r in rows} == by_hand
    assert compare.place_name(cur, s) == "Spraberry block"


def test_a_group_counts_its_operators_as_one_competitor(loaded, app_conn):
    ws, cur = _workspace(app_conn)
    county = _busiest(cur, "county_code")
    s = compare.scope(county=county, district=None, aoi=None, **_period(), today=LATER)
    alone = compare.rank(cur, s, today=LATER)
    a, b = alone[0], alone[1]
    group = watchlists.save(cur, ws.workspace_id, ws.user_id, "Competitor X", [a["who"], b["who"]], kind=watchlists.GROUP)
    grouped = compare.rank(cur, s, today=LATER)
    row = next(r for r in grouped if r["who"] == group)
    assert row["is_group"] and row["name"] == "Competitor X"
    assert row["permits"] == a["permits"] + b["permits"] and grouped[0] is row
    assert not any(r["who"] in (a["who"], b["who"]) for r in grouped)
    series = compare.series(cur, s, [group])
    assert sum(p["permits"] for p in series) == row["permits"]
    with pytest.raises(watchlists.WatchlistError, match="already has a group"):
        watchlists.save(cur, ws.workspace_id, ws.user_id, "Competitor X", [a["who"]], kind=watchlists.GROUP)


def test_a_successor_carries_its_predecessors_line_and_the_link_is_audited_and_reversible(loaded, owner_conn):
    a, b = [r[0] for r in owner_conn.execute(
        "SELECT operator_id FROM permits_current GROUP BY 1 ORDER BY count(*) DESC LIMIT 2").fetchall()]
    cur = owner_conn.cursor()
    alone_a = profile.profile(cur, a, follow_line=True, today=LATER)["permits"]
    alone_b = profile.profile(cur, b, follow_line=True, today=LATER)["permits"]
    link_id = identity.link(cur, a, b, actor="analyst", note="reorganised under a new P-5 number")
    line = profile.profile(cur, b, follow_line=True, today=LATER)
    assert line["permits"] == alone_a + alone_b and [o["id"] for o in line["line"]] == [a]
    assert [(x["relation"], x["id"]) for x in line["lineage"]] == [("predecessor", a)]
    assert profile.profile(cur, b, follow_line=False, today=LATER)["permits"] == alone_b
    with pytest.raises(identity.LinkError):
        identity.link(cur, b, a, actor="analyst", note=None)
    identity.unlink(cur, link_id, actor="analyst")
    assert profile.profile(cur, b, follow_line=True, today=LATER)["permits"] == alone_b
    actions = [r[0] for r in cur.execute("SELECT action FROM audit_log WHERE entity_id = %s ORDER BY id", (str(b),)).fetchall()]
    assert actions == ["operator.linked", "operator.unlinked"]


def test_the_timeline_pages_newest_first_without_gaps_or_repeats_and_filters_by_kind(loaded, owner_conn):
    cur = owner_conn.cursor()
    op = cur.execute("SELECT operator_id FROM permits_current GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    seen, before = [], None
    while True:
        page = profile.operator_timeline(cur, op, follow_line=False, kinds=None, before=before, limit=7)
        seen += [e["id"] for e in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    every = [r[0] for r in cur.execute("""SELECT c.id FROM permit_changes c JOIN permits p ON p.id = c.permit_id
                                          WHERE p.operator_id = %s ORDER BY c.id DESC""", (op,)).fetchall()]
    assert seen == every and len(every) > 7
    amended = profile.operator_timeline(cur, op, follow_line=False, kinds=["amended"], before=None, limit=200)["items"]
    assert amended and {e["kind"] for e in amended} == {"amended"}
    with pytest.raises(Exception, match="unknown event kind"):
        profile.operator_timeline(cur, op, follow_line=False, kinds=["drilled"], before=None, limit=5)


def test_a_well_completion_is_a_completed_event_with_its_status_and_date(loaded, owner_conn):
    cur = owner_conn.cursor()
    rows = cur.execute("""SELECT p.operator_id, c.id, c.details->'fields'->'well_status_date'->>1 FROM permit_changes c
                          JOIN permits p ON p.id = c.permit_id
                          WHERE c.change_type = 'status_changed' AND c.details->'fields'->'well_status'->>1 = 'final completion'""").fetchall()
    assert rows, "the generated month completes some wells"
    op = rows[0][0]
    completed = profile.operator_timeline(cur, op, follow_line=False, kinds=["completed"], before=None, limit=200)["items"]
    assert sorted(e["id"] for e in completed) == sorted(r[1] for r in rows if r[0] == op)
    assert all(e["kind"] == "completed" and e["detail"].startswith("final completion, on 20") for e in completed)
    every = profile.operator_timeline(cur, op, follow_line=False, kinds=None, before=None, limit=200)["items"]
    assert {e["id"] for e in every if e["kind"] == "completed"} == {e["id"] for e in completed}


def test_a_comparison_refuses_two_places_an_unknown_county_and_a_backwards_period():
    with pytest.raises(Exception, match="one county, one district or one area"):
        compare.scope(county="329", district="08", aoi=None, start=None, end=None, today=LATER)
    with pytest.raises(Exception, match="no Texas county"):
        compare.scope(county="Atlantis", district=None, aoi=None, start=None, end=None, today=LATER)
    with pytest.raises(Exception, match="starts after it ends"):
        compare.scope(county="Midland", district=None, aoi=None, start=LATER, end=START, today=LATER)
    assert compare.scope(county="midland", district=None, aoi=None, start=None, end=None, today=LATER).value == "329"


def test_app_role_cannot_see_another_workspaces_groups(loaded, settings, app_conn):
    ws, cur = _workspace(app_conn)
    op = cur.execute("SELECT id FROM operators LIMIT 1").fetchone()[0]
    watchlists.save(cur, ws.workspace_id, ws.user_id, "Rivals", [op], kind=watchlists.GROUP)
    app_conn.commit()
    other = admin.create_workspace(app_conn, "Other", "other@example.com", verified=True)
    with psycopg.connect(settings.database_url) as conn:
        c = conn.cursor()
        set_tenant(c, other.workspace_id, other.user_id)
        assert watchlists.list_sets(c, watchlists.GROUP) == []


WELLS_BY_HAND = """
SELECT api_number, count(*), min(spud_date), array_agg(status_number ORDER BY issued_date NULLS LAST, status_number),
       (array_agg(operator_id ORDER BY issued_date DESC NULLS LAST, effective_at DESC))[1]
FROM permits_current WHERE api_number IS NOT NULL GROUP BY 1 ORDER BY 1
"""


def test_wells_kept_by_ingestion_follow_the_permits_of_each_api_number(loaded, owner_conn):
    wells = owner_conn.execute("SELECT api_number, permits, spud_date, status_numbers, operator_id FROM wells ORDER BY 1").fetchall()
    assert wells == owner_conn.execute(WELLS_BY_HAND).fetchall()
    assert any(w[2] is not None for w in wells)  # the month spudded some
    completed = owner_conn.execute("SELECT count(*) FROM wells WHERE completion_date IS NOT NULL").fetchone()[0]
    reported = owner_conn.execute("""SELECT count(DISTINCT c.api_number) FROM permits_current c JOIN permit_versions v ON v.id = c.version_id,
                                     jsonb_array_elements(v.attributes->'fields') f
                                     WHERE c.api_number IS NOT NULL AND f->>'completion_date' IS NOT NULL""").fetchone()[0]
    assert completed == reported
    op = wells[0][4]
    prof = profile.profile(owner_conn.cursor(), op, follow_line=False, today=LATER)
    assert prof["wells"] == sum(1 for w in wells if w[4] == op)


def test_an_unmerge_puts_back_exactly_what_the_merge_moved(loaded, owner_conn, app_conn):
    keep, absorb = [r[0] for r in owner_conn.execute(
        "SELECT operator_id FROM permits_current GROUP BY 1 ORDER BY count(*) DESC LIMIT 2").fetchall()]
    snapshot = """SELECT (SELECT array_agg(permit_id ORDER BY permit_id) FROM permits_current WHERE operator_id = %(o)s),
                         (SELECT array_agg(id ORDER BY id) FROM operator_aliases WHERE operator_id = %(o)s),
                         (SELECT count(*) FROM permit_versions WHERE operator_id = %(o)s),
                         (SELECT array_agg(api_number ORDER BY api_number) FROM wells WHERE operator_id = %(o)s)"""
    before = {o: owner_conn.execute(snapshot, {"o": o}).fetchone() for o in (keep, absorb)}
    stats_before = owner_conn.execute(AGGREGATE).fetchall()
    ws, cur = _workspace(app_conn)
    wl = watchlists.save(cur, ws.workspace_id, ws.user_id, "rivals", [absorb])
    group = watchlists.save(cur, ws.workspace_id, ws.user_id, "Competitor X", [absorb], kind=watchlists.GROUP)
    app_conn.commit()
    identity.merge(owner_conn.cursor(), keep, absorb, actor="test", reason="looked the same")
    assert owner_conn.execute(snapshot, {"o": absorb}).fetchone() == (None, None, 0, None)
    members = "SELECT array_agg(operator_id) FROM operator_group_members WHERE group_id = %s"
    assert owner_conn.execute(members, (group,)).fetchone() == ([keep],)  # the group follows the merge
    back = identity.unmerge(owner_conn.cursor(), absorb, actor="test", reason="they are two companies")
    assert back["permits_current"] == len(before[absorb][0])
    assert {o: owner_conn.execute(snapshot, {"o": o}).fetchone() for o in (keep, absorb)} == before
    assert owner_conn.execute(AGGREGATE).fetchall() == stats_before
    items = owner_conn.execute("SELECT operator_id FROM operator_watchlist_items WHERE watchlist_id = %s", (wl,)).fetchall()
    assert items == [(absorb,)]
    assert owner_conn.execute(members, (group,)).fetchone() == ([absorb],)
    assert owner_conn.execute("SELECT merged_into FROM operators WHERE id = %s", (absorb,)).fetchone() == (None,)
    with pytest.raises(identity.MergeError, match="not merged"):
        identity.unmerge(owner_conn.cursor(), absorb, actor="test", reason="again")
    actions = [r[0] for r in owner_conn.execute("SELECT action FROM audit_log WHERE action LIKE 'operator.%merged' ORDER BY id")]
    assert actions == ["operator.merged", "operator.unmerged"]
