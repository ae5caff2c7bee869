"""The change feed over HTTP and real PostgreSQL: paging gives every change once, in order,
with the permit as it stands and its provenance; a change whose transaction commits late is
held back, never skipped; a damaged cursor gets a problem naming `since`."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import news


@pytest.fixture
def reader(visitor, web_settings):
    news(web_settings, "2026-07-27")
    user = visitor()
    user.signup("sync@example.com", workspace_name="Sync Land")
    key = user.post("/v1/api-keys", json={"name": "sync", "scopes": ["permits:read"]}).json()["key"]
    client = visitor()
    client.http.headers["Authorization"] = f"Bearer {key}"
    with psycopg.connect(web_settings.database_owner_url) as conn:
        conn.execute("INSERT INTO workspace_quotas (workspace_id, managed_by, api_rate_per_minute) "
                     "SELECT workspace_id, 'test', 100000 FROM api_keys LIMIT 1 "
                     "ON CONFLICT (workspace_id) DO UPDATE SET api_rate_per_minute = 100000")
    return client


def _drain(client, since=None, limit=7) -> tuple[list[dict], str]:
    items = []
    while True:
        page = client.get("/v1/changes", params={"limit": limit, **({"since": since} if since else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        since = body["next_cursor"]
        if not body["more"]:
            return items, since


def test_paging_the_feed_gives_every_change_once_in_order_with_its_permit_and_source(reader, web_settings):
    items, _ = _drain(reader)
    with psycopg.connect(web_settings.database_owner_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM permit_changes ORDER BY txid, id").fetchall()]
        current = dict(conn.execute("SELECT status_number, operator_name FROM permits_current").fetchall())
    assert len(items) == len(ids) > 50 and len({i["cursor"] for i in items}) == len(items)
    for item in items:
        assert item["source_file"].startswith("daf420-2026-07-27") and item["published_at"]
        if item["permit"] is not None:
            assert item["permit"]["operator_name"] == current[item["status_number"]]


def test_a_change_that_commits_late_is_held_back_then_served_never_skipped(reader, web_settings):
    _, cursor = _drain(reader)
    late = psycopg.connect(web_settings.database_owner_url)
    try:
        late.execute("""INSERT INTO permit_changes (permit_id, permit_version_id, sequence, change_type, details, ingestion_run_id, source_seen_at)
                        SELECT permit_id, permit_version_id, sequence, 'corrected', '{"late": true}', ingestion_run_id, source_seen_at
                        FROM permit_changes c WHERE change_type = 'new' AND NOT EXISTS (
                          SELECT 1 FROM permit_changes x WHERE x.permit_version_id = c.permit_version_id AND x.change_type = 'corrected')
                        LIMIT 1""")  # open: its transaction began before the next file's
        news(web_settings, "2026-07-28")  # commits while the first is still open
        held, cursor_during = _drain(reader, cursor)
        assert held == [] and cursor_during == cursor  # the later file's changes wait behind the open transaction
        late.commit()
    finally:
        late.close()
    after, _ = _drain(reader, cursor, limit=50)
    assert after[0]["details"] == {"late": True}  # the late one first: its transaction is older
    assert len(after) > 1 and all(i["source_file"].startswith("daf420-2026-07-28") for i in after[1:])


def test_a_damaged_cursor_is_refused_naming_since(reader):
    for bad in ("not-a-cursor", "LTEuNQ"):  # the second is "-1.5"
        r = reader.get("/v1/changes", params={"since": bad})
        assert r.status_code == 422 and r.json()["param"] == "since", r.text
