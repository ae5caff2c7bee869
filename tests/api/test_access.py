"""Every route says who may call it (public, signed in, member, admin, owner): a test walks
the app's routes. What each level admits is tested over HTTP in test_accounts and test_isolation."""

from __future__ import annotations

from fastapi.routing import APIRoute, iter_route_contexts

from services.api.app import create_app
from services.api.deps import ACCESS_LEVELS
from services.settings import Settings


def _levels(dependant) -> set[str]:
    found = set()
    for dep in dependant.dependencies:
        level = getattr(dep.call, "access_level", None)
        if level:
            found.add(level)
        found |= _levels(dep)
    return found


def _routes() -> list[tuple[str, set[str], APIRoute]]:
    """(full path, methods, route) of every API route, routers included."""
    app = create_app(Settings(_env_file=None, secret_key="routes-only"))
    return [(c.path, set(c.methods), c.original_route) for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def test_every_route_declares_exactly_one_access_level():
    routes = _routes()
    assert len(routes) > 40
    undeclared = {f"{sorted(methods)} {path}": sorted(_levels(r.dependant)) for path, methods, r in routes if len(_levels(r.dependant)) != 1}
    assert undeclared == {}


def test_the_levels_in_use_are_the_known_ones_and_writes_need_a_member():
    levels = {(m, path): _levels(r.dependant).pop() for path, methods, r in _routes() for m in methods}
    assert set(levels.values()) <= set(ACCESS_LEVELS)
    assert levels[("POST", "/v1/workspace/invitations")] == "admin"
    assert levels[("PATCH", "/v1/workspace/members/{user_id}")] == "admin"
    assert levels[("GET", "/v1/permits")] == "signed_in"
    assert levels[("GET", "/v1/audit")] == levels[("GET", "/v1/audit.csv")] == "admin"
    assert levels[("POST", "/auth/login")] == "public"
    # no workspace data is open to the public, and nothing under /v1 that writes is below member
    public_v1 = sorted(p for (m, p), lvl in levels.items() if lvl == "public" and p.startswith("/v1"))
    # the e-mail link's token is its own proof, and it may be opened signed out; so is an
    # export's signed download link (like a presigned URL, it is the permission); the API's
    # changelog and the webhook event catalogue are for anyone deciding whether to build on it,
    # and the plans and prices for anyone deciding whether to buy
    assert public_v1 == ["/v1/account/email/confirm", "/v1/billing/plans", "/v1/changelog", "/v1/config", "/v1/exports/{export_id}/file",
                         "/v1/filters", "/v1/status",
                         "/v1/webhook-events"]
    owned = ("/v1/aois", "/v1/saved", "/v1/watchlists", "/v1/alert", "/v1/workspace", "/v1/exports", "/v1/operator-groups", "/v1/reports",
             "/v1/report-schedules", "/v1/api-keys", "/v1/webhooks", "/v1/billing", "/v1/notifications", "/v1/activity")
    workspace_writes = [(m, p) for (m, p), lvl in levels.items() if p.startswith(owned)
                        and m in {"POST", "PUT", "PATCH", "DELETE"} and lvl in {"public", "signed_in"}]
    assert workspace_writes == []
    assert {lvl for (m, p), lvl in levels.items() if p.startswith("/v1/webhooks")} == {"admin"}  # endpoints and their logs
    assert {lvl for (m, p), lvl in levels.items() if p.startswith("/webhooks/")} == {"public"}  # proven by signatures



def test_the_document_says_who_may_call_each_operation_and_which_take_an_api_key():
    doc = create_app(Settings(_env_file=None, secret_key="routes-only")).openapi()
    assert set(doc["components"]["securitySchemes"]) == {"apiKey", "session"}
    keyed = {(m, p) for p, ops in doc["paths"].items() for m, op in ops.items() if {"apiKey": []} in op["security"]}
    assert {("get", "/v1/permits"), ("get", "/v1/changes"), ("post", "/v1/webhooks"), ("post", "/v1/exports")} <= keyed
    assert ("get", "/v1/account") not in keyed and doc["paths"]["/v1/account"]["get"]["security"] == [{"session": []}]
    assert doc["paths"]["/v1/changelog"]["get"]["security"] == []
    levels = {(m.lower(), path): _levels(r.dependant).pop() for path, methods, r in _routes() for m in methods}
    assert {(m, p) for (m, p), lvl in levels.items() if lvl == "public" and p in doc["paths"]} == {
        (m, p) for p, ops in doc["paths"].items() for m, op in ops.items() if op["security"] == []}


def test_an_unexpected_error_is_a_500_problem_with_a_trace_id_and_no_internals(web_settings, caplog):
    from fastapi.testclient import TestClient

    from services.api.deps import PUBLIC

    app = create_app(web_settings)

    @app.get("/boom/{kind}", dependencies=[PUBLIC])
    def boom(kind: str) -> None:
        raise {"key": KeyError, "value": ValueError}[kind]("the internal secret")

    with TestClient(app, raise_server_exceptions=False) as client:
        for kind in ("key", "value"):
            with caplog.at_level("ERROR", logger="permitwatch.api"):
                r = client.get(f"/boom/{kind}")
            assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
            body = r.json()
            assert "internal secret" not in r.text and body["trace_id"] == r.headers["x-trace-id"]
            assert any(body["trace_id"] in rec.getMessage() and rec.exc_info for rec in caplog.records)
            caplog.clear()
        assert client.get("/healthz").status_code == 200  # the app goes on answering


def test_a_body_declared_too_large_is_refused_before_any_route_reads_it(visitor):
    b = visitor()
    r = b.http.post("/auth/login", content=b"{}", headers={"Content-Length": str(50 * 1024 * 1024), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json" and "at most 12 MB" in r.json()["detail"]
