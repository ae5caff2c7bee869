"""Operator groups wherever operators are chosen, through the HTTP API over real RRC daily
files: permit search and tiles, saved searches, watchlists (and the alerts that follow
them), and a group's own profile and timeline. Another workspace's group is never usable."""

from __future__ import annotations

import math

import psycopg
import pytest

from services.alerting.evaluate import evaluate_pending
from tests.conftest import news, rules_predate_files


def _permits(user, **params) -> set[str]:
    """Every status number a search returns, following its cursor."""
    seen, cursor = set(), None
    while True:
        r = user.get("/v1/permits", params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen |= {p["status_number"] for p in r.json()["items"]}
        cursor = r.json()["next_cursor"]
        if not cursor:
            return seen


@pytest.fixture
def grouped(visitor, web_settings):
    news(web_settings, "2026-07-28")
    a = visitor()
    a.signup("vp@alpha.example", workspace_name="Alpha")
    busiest = a.get("/v1/compare", params={"district": "08", "start": "2025-01-01", "end": "2026-12-31"}).json()["rows"]
    members = [busiest[0]["who"], busiest[2]["who"]]
    other = busiest[1]["who"]
    r = a.post("/v1/operator-groups", json={"name": "Competitor X", "operator_ids": members})
    assert r.status_code == 201, r.text
    return a, r.json()["id"], members, other


def test_a_group_searches_and_tiles_exactly_as_its_operators(grouped):
    a, group, members, other = grouped
    by_group = _permits(a, operator_groups=group)
    assert by_group and by_group == _permits(a, operator_ids=members)
    # with operator_ids too, either matches
    assert _permits(a, operator_groups=group, operator_ids=other) == by_group | _permits(a, operator_ids=other)
    hit = a.get("/v1/permits", params={"operator_groups": group, "limit": 1, "bbox": "-107,25,-93,37"}).json()["items"][0]
    z = 6
    x = int((hit["lon"] + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(hit["lat"]))) / math.pi) / 2 * 2**z)
    tile = f"/tiles/permits/{z}/{x}/{y}.mvt"
    as_group = a.get(tile, params={"operator_groups": group})
    as_ids = a.get(tile, params={"operator_ids": sorted(members)})
    assert as_group.status_code == 200 and as_group.content == as_ids.content


def test_another_workspace_cannot_use_or_read_a_group(grouped, visitor):
    a, group, members, _ = grouped
    b = visitor()
    b.signup("b@bravo.example", workspace_name="Bravo")
    for url in ("/v1/permits", "/tiles/permits/5/7/13.mvt"):
        r = b.get(url, params={"operator_groups": group})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["param"] == "operator_groups"
        assert f"no operator group {group}" in r.json()["detail"]
    assert b.post("/v1/saved-searches", json={"name": "x", "filters": {"operator_groups": [group]}}).status_code == 422
    assert b.post("/v1/watchlists", json={"name": "x", "group_ids": [group]}).status_code == 422
    assert b.get(f"/v1/operator-groups/{group}/profile").status_code == 404
    assert b.get(f"/v1/operator-groups/{group}/timeline").status_code == 404
    assert a.get(f"/v1/operator-groups/{group}/profile").status_code == 200


def test_a_saved_search_names_its_group_and_the_group_cannot_be_deleted_while_used(grouped):
    a, group, _, _ = grouped
    saved = a.post("/v1/saved-searches", json={"name": "X in Permian", "filters": {"operator_groups": [group], "districts": ["08"]}})
    assert saved.status_code == 201, saved.text
    listed = a.get("/v1/saved-searches").json()
    assert "by the group Competitor X" in listed[0]["summary"]
    r = a.send("DELETE", f"/v1/operator-groups/{group}")
    assert r.status_code == 422 and "saved search 'X in Permian'" in r.json()["detail"]
    a.send("DELETE", f"/v1/saved-searches/{saved.json()['id']}")
    assert a.send("DELETE", f"/v1/operator-groups/{group}").status_code == 204


def test_a_groups_profile_adds_up_its_members_and_its_timeline_is_theirs(grouped):
    a, group, members, _ = grouped
    prof = a.get(f"/v1/operator-groups/{group}/profile").json()
    alone = [a.get(f"/v1/operators/{m}", params={"follow_line": False}).json() for m in members]
    assert prof["name"] == "Competitor X" and sorted(o["id"] for o in prof["operators"]) == sorted(members)
    assert prof["permits"] == sum(p["permits"] for p in alone) > 0
    assert prof["wells"] == sum(p["wells"] for p in alone)
    events = a.get(f"/v1/operator-groups/{group}/timeline", params={"limit": 200}).json()["items"]
    theirs = [a.get(f"/v1/operators/{m}/timeline", params={"limit": 200, "follow_line": False}).json()["items"] for m in members]
    assert sorted(e["id"] for e in events) == sorted(e["id"] for t in theirs for e in t)


def test_a_watchlist_holding_a_group_alerts_on_whoever_is_in_it(grouped, web_settings):
    a, group, members, other = grouped
    wl = a.post("/v1/watchlists", json={"name": "Rivals", "group_ids": [group]})
    assert wl.status_code == 201, wl.text
    listed = a.get("/v1/watchlists").json()[0]
    assert listed["groups"] == [{"id": group, "name": "Competitor X"}] and listed["operators"] == []
    rule = a.post("/v1/alert-rules", json={"name": "Rivals anywhere", "watchlist_id": wl.json()["id"], "notify_on": "all_changes"})
    assert rule.status_code == 201, rule.text
    # The group grows after the rule is made: the rule follows the group, not a copy of it.
    assert a.send("PUT", f"/v1/operator-groups/{group}", json={"name": "Competitor X", "operator_ids": [*members, other]}).status_code == 200
    news(web_settings, "2026-07-31")
    with psycopg.connect(web_settings.worker_database_url) as w:
        rules_predate_files(w)
        evaluate_pending(w)
        alerted = {r[0] for r in w.execute("SELECT DISTINCT p.operator_id::text FROM alert_events e "
                                           "JOIN permits p ON p.id = e.permit_id").fetchall()}
        changed = {r[0] for r in w.execute(
            """SELECT DISTINCT v.operator_id::text FROM permit_changes c JOIN ingestion_runs ir ON ir.id = c.ingestion_run_id
               JOIN permit_versions v ON v.id = c.permit_version_id AND v.source_seen_at = c.source_seen_at
               WHERE ir.source_uri LIKE '%%2026-07-31%%'""").fetchall()}
    assert alerted and alerted == changed & {*members, other}
