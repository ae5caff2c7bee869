"""The audit log over HTTP and real PostgreSQL: owners and admins read their workspace's
entries in words, newest first, filtered by action family, person and dates, paged; the CSV
holds the same entries with names that cannot run as spreadsheet formulas; keys and other
workspaces see none of it (that members do not is the route's admin level, test_access)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta


def _actions(user) -> list[str]:
    user.post("/v1/api-keys", json={"name": "ETL", "scopes": ["permits:read"]})
    made = user.post("/v1/api-keys", json={"name": "Old", "scopes": ["permits:read"]}).json()
    user.post(f"/v1/api-keys/{made['id']}/revoke")
    user.post("/v1/saved-searches", json={"name": "Andrews", "filters": {"counties": ["003"]}})
    return ["api_key.created", "api_key.created", "api_key.revoked"]


def test_an_owner_reads_the_log_in_words_newest_first_filtered_and_paged(visitor):
    owner = visitor()
    owner.signup("audit@example.com", workspace_name="Audited")
    assert owner.send("PATCH", "/v1/account", json={"display_name": "Ann Landman"}).status_code == 200
    _actions(owner)
    log = owner.get("/v1/audit").json()
    whats = [e["what"] for e in log["items"]]
    assert whats.index("revoked an API key") < whats.index("made an API key")  # newest first
    assert all(e["actor_name"] == "Ann Landman" for e in log["items"] if e["action"].startswith("api_key"))
    keys_only = owner.get("/v1/audit", params={"action": "api_key"}).json()["items"]
    assert [e["action"] for e in keys_only] == ["api_key.revoked", "api_key.created", "api_key.created"]
    first = owner.get("/v1/audit", params={"action": "api_key", "limit": 2}).json()
    rest = owner.get("/v1/audit", params={"action": "api_key", "limit": 2, "before": first["next_before"]}).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == [e["id"] for e in keys_only] and rest["next_before"] is None
    me = owner.get("/auth/me").json()["user"]["id"]
    assert len(owner.get("/v1/audit", params={"actor": me, "action": "api_key"}).json()["items"]) == 3
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert owner.get("/v1/audit", params={"since": tomorrow}).json()["items"] == []
    bad = owner.get("/v1/audit", params={"since": tomorrow, "until": date.today().isoformat()})
    assert bad.status_code == 422 and bad.json()["param"] == "until"
    choices = owner.get("/v1/audit/choices").json()
    assert {"action": "api_key.revoked", "what": "revoked an API key"} in choices["actions"]
    assert choices["people"] == [{"id": me, "name": "Ann Landman"}]


def test_the_csv_holds_the_filtered_entries_and_names_cannot_run_as_formulas(visitor):
    owner = visitor()
    owner.signup("csv@example.com", workspace_name="Audited CSV")
    owner.send("PATCH", "/v1/account", json={"display_name": "=HYPERLINK(\"http://evil\")"})
    _actions(owner)
    r = owner.get("/v1/audit.csv", params={"action": "api_key"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["when_utc", "who", "what", "action", "item_type", "item_id", "details"]
    assert [row[3] for row in rows[1:]] == ["api_key.revoked", "api_key.created", "api_key.created"]
    assert all(row[1] == "'=HYPERLINK(\"http://evil\")" for row in rows[1:])


def test_keys_strangers_and_other_workspaces_see_none_of_it(visitor):
    owner, other = visitor(), visitor()
    owner.signup("one@example.com", workspace_name="One")
    other.signup("two@example.com", workspace_name="Two")
    _actions(owner)
    assert [e for e in other.get("/v1/audit").json()["items"] if e["action"].startswith("api_key")] == []
    key = owner.post("/v1/api-keys", json={"name": "k", "scopes": ["permits:read", "alerts:read", "exports:write"]}).json()["key"]
    by_key = visitor().get("/v1/audit", headers={"Authorization": f"Bearer {key}"})
    assert by_key.status_code == 403 and by_key.json()["type"].endswith("session-only")
    assert visitor().get("/v1/audit").status_code == 401
