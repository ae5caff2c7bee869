"""Pro API keys over HTTP: made by an admin and shown once (stored only as a digest), used as
`Authorization: Bearer` without cookies or CSRF, refused when revoked, expired, mistyped,
out of scope, from an address off its allow-list, or on a session-only route; rolled with an
overlap; audited; and kept to their workspace."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import news


@pytest.fixture
def admin(visitor, web_settings):
    news(web_settings, "2026-07-28")
    user = visitor()
    user.signup("owner@example.com", workspace_name="Keyed Land")
    return user


def _key(user, **body) -> dict:
    r = user.post("/v1/api-keys", json={"name": "ETL", "scopes": ["permits:read"], **body})
    assert r.status_code == 201, r.text
    return r.json()


def _call(visitor, key: str, path: str = "/v1/permits", address: str = "testclient", **params):
    return visitor(address).get(path, params=params, headers={"Authorization": f"Bearer {key}"})


def test_a_key_is_shown_once_stored_as_a_digest_and_reads_permits_without_a_session(admin, visitor, web_settings):
    made = _key(admin)
    key = made["key"]
    assert key.startswith("pwk_") and made["prefix"] == key[:12] and made["scopes"] == ["permits:read"]
    listed = admin.get("/v1/api-keys").json()
    assert [k["prefix"] for k in listed] == [made["prefix"]] and all("key" not in k for k in listed)
    with psycopg.connect(web_settings.database_owner_url) as conn:
        rows = conn.execute("SELECT row_to_json(k)::text FROM api_keys k").fetchall()
        actions = [a for (a,) in conn.execute("SELECT action FROM audit_log WHERE entity_type = 'api_key'").fetchall()]
    assert len(rows) == 1 and key not in rows[0][0] and key[12:] not in rows[0][0]
    assert actions == ["api_key.created"]
    by_key = _call(visitor, key, counties="Andrews")
    by_session = admin.get("/v1/permits", params={"counties": "Andrews"})
    assert by_key.status_code == 200 and by_key.json()["items"] == by_session.json()["items"] and by_key.json()["items"]
    assert admin.get("/v1/api-keys").json()[0]["last_used_at"] is not None


def test_bad_revoked_expired_and_out_of_scope_keys_get_the_right_problem(admin, visitor, web_settings):
    key = _key(admin)
    cases = [(key["key"][:-1] + ("a" if key["key"][-1] != "a" else "b"), 401, "invalid-api-key"),
             ("pwk_" + "x" * 36, 401, "invalid-api-key")]
    for bad, status, slug in cases:
        r = _call(visitor, bad)
        assert r.status_code == status and r.json()["type"].endswith(slug), r.text
    alerts_only = _key(admin, scopes=["alerts:read"])["key"]
    r = _call(visitor, alerts_only)
    assert r.status_code == 403 and r.json()["param"] == "scope" and "permits:read" in r.json()["detail"]
    r = _call(visitor, key["key"], "/v1/exports")
    assert r.status_code == 403 and r.json()["param"] == "scope" and "exports:write" in r.json()["detail"]
    r = _call(visitor, key["key"], "/v1/report-schedules")
    assert r.status_code == 403 and r.json()["type"].endswith("session-only")
    assert admin.post(f"/v1/api-keys/{key['id']}/revoke").json()["revoked_at"]
    r = _call(visitor, key["key"])
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    expiring = _key(admin, expires_at="2099-01-01T00:00:00Z")
    with psycopg.connect(web_settings.database_owner_url) as conn:
        conn.execute("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = %s", (expiring["id"],))
    r = _call(visitor, expiring["key"])
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    r = admin.post("/v1/api-keys", json={"name": "x", "scopes": ["permits:write"]})
    assert r.status_code == 422 and r.json()["param"] == "scopes"


def test_an_allow_listed_key_works_only_from_its_networks(admin, visitor):
    key = _key(admin, allowed_ips=["203.0.113.0/24"])["key"]
    assert _call(visitor, key, address="203.0.113.9").status_code == 200
    r = _call(visitor, key, address="198.51.100.1")
    assert r.status_code == 403 and "198.51.100.1" in r.json()["detail"]
    assert admin.post("/v1/api-keys", json={"name": "x", "scopes": ["permits:read"], "allowed_ips": ["10.0.0.300"]}).json()["param"] == "allowed_ips"


def test_a_rolled_key_overlaps_its_successor_then_stops(admin, visitor, web_settings):
    old = _key(admin)
    new = admin.post(f"/v1/api-keys/{old['id']}/roll", json={"overlap_hours": 1})
    assert new.status_code == 201 and new.json()["key"] != old["key"] and new.json()["scopes"] == old["scopes"]
    assert _call(visitor, old["key"]).status_code == 200 and _call(visitor, new.json()["key"]).status_code == 200
    again = admin.post(f"/v1/api-keys/{old['id']}/roll", json={"overlap_hours": 0})
    assert again.status_code == 422  # roll the replacement, not the old key twice
    newer = admin.post(f"/v1/api-keys/{new.json()['id']}/roll", json={"overlap_hours": 0}).json()
    assert _call(visitor, new.json()["key"]).status_code == 401 and _call(visitor, newer["key"]).status_code == 200
    with psycopg.connect(web_settings.database_owner_url) as conn:
        rolled = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'api_key.rolled'").fetchone()[0]
    assert rolled == 2


def test_keys_stay_in_their_workspace_and_only_admins_make_them(admin, visitor):
    key = _key(admin)
    other = visitor()
    other.signup("rival@example.com", workspace_name="Rival Land")
    assert other.get("/v1/api-keys").json() == []
    assert other.post(f"/v1/api-keys/{key['id']}/revoke").status_code == 404
    assert other.post(f"/v1/api-keys/{key['id']}/roll", json={}).status_code == 404
    area = admin.post("/v1/aois", json={"name": "Mine", "geometry": {"type": "Polygon", "coordinates": [
        [[-102.5, 32.0], [-102.0, 32.0], [-102.0, 32.5], [-102.5, 32.5], [-102.5, 32.0]]]}}).json()["id"]
    rival_key = _key(other)["key"]
    assert _call(visitor, key["key"], aoi=area).status_code == 200
    r = _call(visitor, rival_key, aoi=area)  # another workspace's area does not exist for this key
    assert r.status_code == 400 and r.json()["param"] == "aoi", r.text


def _quota(web_settings, admin, **cols) -> None:
    ws = admin.get("/auth/me").json()["workspace_id"]
    names = ", ".join(cols)
    with psycopg.connect(web_settings.database_owner_url) as conn:
        conn.execute(f"INSERT INTO workspace_quotas (workspace_id, managed_by, {names}) VALUES (%s, 'test', {', '.join(['%s'] * len(cols))}) "
                     f"ON CONFLICT (workspace_id) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in cols), (ws, *cols.values()))


def test_a_burst_past_the_policy_is_told_to_slow_down_with_ratelimit_headers(admin, visitor, web_settings):
    _quota(web_settings, admin, api_rate_per_minute=12, api_calls_per_month=1000)
    key = _key(admin)["key"]
    first = _call(visitor, key, "/v1/usage")
    assert first.status_code == 200
    assert first.headers["RateLimit-Policy"] == '"burst";q=2;w=1, "minute";q=12;w=60, "month";q=1000;w=2592000'
    assert first.headers["RateLimit"].startswith('"burst";r=1;')
    answers = [_call(visitor, key, "/v1/usage") for _ in range(3)]  # within the same second: two more at most
    refused = [r for r in answers if r.status_code == 429]
    assert refused and refused[0].json()["type"].endswith("slow-down") and int(refused[0].headers["Retry-After"]) >= 1


def test_the_monthly_quota_refuses_past_its_count_with_its_own_problem(admin, visitor, web_settings):
    _quota(web_settings, admin, api_rate_per_minute=100_000, api_calls_per_month=2)
    key = _key(admin)["key"]
    assert [_call(visitor, key, "/v1/usage").status_code for _ in range(2)] == [200, 200]
    last = _call(visitor, key, "/v1/usage")
    assert last.status_code == 429 and last.json()["type"].endswith("quota-spent") and "API requests for this month" in last.json()["detail"]
    assert last.headers["RateLimit"].startswith('"month";r=0;') and int(last.headers["Retry-After"]) > 0


def test_metering_counts_every_request_and_the_sweep_books_them_once(admin, visitor, web_settings):
    from services.exports import jobs

    key = _key(admin)
    for _ in range(5):
        assert _call(visitor, key["key"], counties="Andrews").status_code == 200
    assert _call(visitor, key["key"], "/v1/permits/0999999").status_code == 404
    live = admin.get("/v1/usage").json()
    assert live["used"] == 6 and live["keys"][0]["errors"] == 1 and live["complete"]
    assert jobs.sweep(web_settings)["usage_rows"] == 1
    assert jobs.sweep(web_settings)["usage_rows"] == 0  # nothing is booked twice
    with psycopg.connect(web_settings.database_owner_url) as conn:
        assert conn.execute("SELECT requests, errors FROM api_usage_daily WHERE api_key_id = %s", (key["id"],)).fetchone() == (6, 1)
    booked = admin.get("/v1/usage").json()
    assert booked["used"] == 6 and booked["days"][0]["requests"] == 6 and booked["remaining"] == booked["quota"] - 6


def test_a_deprecated_operation_says_so_in_every_answer_and_its_callers_are_counted_per_key(admin, visitor, app):
    from datetime import UTC, datetime

    from services.api.deprecations import Deprecated

    gone = Deprecated("GET", "/v1/permits", datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 12, 1, tzinfo=UTC), "GET /v1/changes",
                      "for keeping a copy in step, the change feed does it without rescanning")
    app.state.deprecations = (gone,)
    try:
        key = _key(admin)
        for _ in range(2):
            r = _call(visitor, key["key"], counties="Andrews")
            assert r.status_code == 200
        assert r.headers["Deprecation"] == f"@{int(gone.since.timestamp())}" and r.headers["Sunset"] == "Wed, 01 Dec 2027 00:00:00 GMT"
        assert r.headers["Link"].endswith('/v1/changelog>; rel="deprecation"; type="application/json"')
        assert "Deprecation" not in _call(visitor, key["key"], "/v1/usage").headers
        log = visitor().get("/v1/changelog").json()["deprecated"]
        assert [(d["operation"], d["instead"]) for d in log] == [("GET /v1/permits", "GET /v1/changes")]
        calls = admin.get("/v1/usage").json()["deprecated_calls"]
        assert calls == [{"key_id": key["id"], "operation": "GET /v1/permits", "calls": 2}]
    finally:
        from services.api.deprecations import REGISTRY
        app.state.deprecations = REGISTRY


def test_alert_and_export_scopes_let_a_key_read_and_write_rules_and_start_exports_as_the_member_who_made_it(admin, visitor, web_settings):
    reader, writer, exporter = (_key(admin, name=n, scopes=[s])["key"] for n, s in
                                (("read", "alerts:read"), ("write", "alerts:write"), ("export", "exports:write")))
    auth = {k: {"Authorization": f"Bearer {k}"} for k in (reader, writer, exporter)}
    search = admin.post("/v1/saved-searches", json={"name": "Andrews", "filters": {"counties": ["003"]}}).json()
    client = visitor()
    refused = client.http.post("/v1/alert-rules", json={"name": "by key", "saved_search_id": search["id"]}, headers=auth[reader])
    assert refused.status_code == 403 and "alerts:write" in refused.json()["detail"]
    made = client.http.post("/v1/alert-rules", json={"name": "by key", "saved_search_id": search["id"]}, headers=auth[writer])
    assert made.status_code == 201, made.text
    me = admin.get("/auth/me").json()["user"]["id"]
    assert made.json()["recipients"] == [me]  # a key acts for the member who made it
    listed = client.http.get("/v1/alert-rules", headers=auth[reader])
    assert listed.status_code == 200 and [r["name"] for r in listed.json()] == ["by key"]
    paused = client.http.post(f"/v1/alert-rules/{made.json()['id']}/enabled", json={"enabled": False}, headers=auth[writer])
    assert paused.status_code == 200 and paused.json()["enabled"] is False
    export = client.http.post("/v1/exports", json={"kind": "permits", "format": "csv", "search": {"counties": ["Andrews"]}}, headers=auth[exporter])
    assert export.status_code == 201, export.text
    assert client.http.get(f"/v1/exports/{export.json()['id']}", headers=auth[exporter]).status_code == 200
    with psycopg.connect(web_settings.database_owner_url) as conn:
        makers = conn.execute("SELECT DISTINCT actor_user_id::text FROM audit_log WHERE action IN ('alert_rule.created', 'export.created')").fetchall()
        creator = conn.execute("SELECT created_by::text FROM export_jobs").fetchone()[0]
    assert makers == [(me,)] and creator == me
