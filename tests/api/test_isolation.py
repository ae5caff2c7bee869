"""Row Level Security through the HTTP API: whatever ids a user of workspace A tries,
workspace B's areas, rules, searches, watchlists, notifications and tiles stay out of
reach; and the app's database role could not do better if a route forgot a filter."""

from __future__ import annotations

import mapbox_vector_tile
import psycopg
import pytest

from services.alerting.delivery import deliver_in_app
from services.alerting.evaluate import evaluate_pending
from tests.conftest import news, rules_predate_files

ANDREWS = (-102.272228, 32.288362)
BOX = {"type": "Polygon", "coordinates": [[[-102.4, 32.2], [-102.1, 32.2], [-102.1, 32.4], [-102.4, 32.4], [-102.4, 32.2]]]}


@pytest.fixture
def two(visitor, web_settings):
    news(web_settings, "2026-07-28")
    a, b = visitor(), visitor()
    a.signup("a@alpha.example", workspace_name="Alpha")
    b.signup("b@bravo.example", workspace_name="Bravo")
    aoi = b.post("/v1/aois", json={"name": "Bravo secret lease", "geometry": BOX}).json()
    rule = b.post("/v1/alert-rules", json={"name": "Bravo rule", "aoi_id": aoi["id"], "notify_on": "all_changes"}).json()
    search = b.post("/v1/saved-searches", json={"name": "Bravo search", "filters": {"districts": ["08"]}}).json()
    op = b.get("/v1/operators", params={"q": "PERMIAN"}).json()[0]["id"]
    wl = b.post("/v1/watchlists", json={"name": "Bravo rivals", "operator_ids": [op]}).json()
    # A new day arrives: Bravo's rule fires and Bravo gets in-app notifications.
    news(web_settings, "2026-07-31")
    with psycopg.connect(web_settings.worker_database_url) as w:
        rules_predate_files(w)
        evaluate_pending(w)
        deliver_in_app(w)
    return a, b, {"aoi": aoi["id"], "rule": rule["id"], "search": search["id"], "watchlist": wl["id"]}


def test_notifications_reach_the_workspace_that_asked(two):
    a, b, ids = two
    inbox = b.get("/v1/notifications").json()
    assert inbox["unread"] > 0 and inbox["items"][0]["status_number"]
    assert all(n["rule"] == "Bravo rule" for n in inbox["items"])
    assert a.get("/v1/notifications").json() == {"unread": 0, "items": []}
    # A cannot mark B's notifications read, even by id.
    note = inbox["items"][0]["id"]
    assert a.post("/v1/notifications/read", json={"ids": [note]}).json() == {"marked": 0}
    assert b.get("/v1/notifications/unread-count").json()["unread"] == inbox["unread"]
    assert b.post("/v1/notifications/read", json={"ids": [note]}).json() == {"marked": 1}
    assert b.get("/v1/notifications/unread-count").json()["unread"] == inbox["unread"] - 1


def test_workspace_a_cannot_see_edit_or_tile_workspace_bs_rows(two):
    a, b, ids = two
    assert a.get("/v1/aois").json()["features"] == []
    assert a.get(f"/v1/aois/{ids['aoi']}").status_code == 404
    assert a.send("PATCH", f"/v1/aois/{ids['aoi']}", json={"name": "mine now"}).status_code == 404
    assert a.send("DELETE", f"/v1/aois/{ids['aoi']}").status_code == 404
    assert a.get("/v1/alert-rules").json() == []
    assert a.get(f"/v1/alert-rules/{ids['rule']}/samples").status_code == 404
    assert a.post(f"/v1/alert-rules/{ids['rule']}/enabled", json={"enabled": False}).status_code == 404
    assert a.send("DELETE", f"/v1/alert-rules/{ids['rule']}").status_code == 404
    assert a.send("PUT", f"/v1/saved-searches/{ids['search']}", json={"name": "x", "filters": {"districts": ["01"]}}).status_code == 404
    assert a.send("DELETE", f"/v1/watchlists/{ids['watchlist']}").status_code == 404
    assert a.get("/v1/saved-searches").json() == [] and a.get("/v1/watchlists").json() == []
    # Using B's area as a search area, or pointing a rule at it, finds nothing to use.
    assert a.get("/v1/permits", params={"aoi": ids["aoi"]}).status_code == 400
    assert a.post("/v1/alert-rules", json={"name": "x", "aoi_id": ids["aoi"]}).status_code == 422
    members = a.get("/v1/workspace/members").json()["members"]
    assert [m["email"] for m in members] == ["a@alpha.example"]
    bs_id = b.get("/auth/me").json()["user"]["id"]
    assert a.send("DELETE", f"/v1/workspace/members/{bs_id}").status_code == 404
    assert a.post("/auth/workspace", json={"workspace_id": b.get("/auth/me").json()["workspace_id"]}).status_code == 404
    # Tiles: B sees its area; A's tile of the same place is empty.
    url = "/tiles/aois/9/110/207.mvt"
    assert {f["properties"]["name"] for f in mapbox_vector_tile.decode(b.get(url).content)["aois"]["features"]} == {"Bravo secret lease"}
    assert a.get(url).status_code == 204
    # B's rows are all still there.
    assert b.get(f"/v1/aois/{ids['aoi']}").json()["properties"]["name"] == "Bravo secret lease"
    assert [r["enabled"] for r in b.get("/v1/alert-rules").json()] == [True]


def test_the_app_role_itself_cannot_read_across_workspaces(two, web_settings):
    """If a route forgot its workspace, the database still would not answer."""
    with psycopg.connect(web_settings.database_url) as conn:
        counts = conn.execute("SELECT (SELECT count(*) FROM aois), (SELECT count(*) FROM alert_rules), "
                              "(SELECT count(*) FROM notifications), (SELECT count(*) FROM workspaces)").fetchone()
    assert counts == (0, 0, 0, 0)
