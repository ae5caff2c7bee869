"""/metrics on the web process (latency by route template, never by raw path) and the probes."""

from __future__ import annotations

import re

from redis import Redis


def test_http_latency_is_labelled_by_route(app, visitor):
    v = visitor()
    assert v.get("/healthz").status_code == 200
    assert v.get("/v1/permits/0000000").status_code in (401, 404)
    body = v.get("/metrics").text
    assert re.search(r'permitwatch_http_request_duration_seconds_count\{method="GET",route="/healthz",status="200"\} \d', body)
    assert 'route="/v1/permits/{ref}"' in body and "permits/0000000" not in body
    v.get("/no/such/page")
    assert 'route="unmatched",status="404"' in v.get("/metrics").text


def test_readiness_checks_database_and_redis(app, visitor):
    r = visitor().get("/readyz")
    assert r.status_code == 200 and r.json() == {"ready": True}
    real = app.state.redis
    app.state.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)  # Redis gone
    r = visitor().get("/readyz")
    app.state.redis = real
    assert r.status_code == 503 and r.json()["redis"] == "ConnectionError" and "database" not in r.json()
