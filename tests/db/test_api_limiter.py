"""The API limiter against real Redis and PostgreSQL: one script admits, counts and limits;
when Redis cannot be reached the windows let requests through (counted in a metric) while the
monthly quota refuses; when Redis comes back without its counters (a restart that lost them)
the month is seeded again from the books plus what is still unflushed, so the quota holds."""

from __future__ import annotations

import uuid

import pytest
from redis import Redis

from services.apikeys import limiter, tokens
from services.apikeys.limits import Policy
from services.metrics import registry as metrics
from services.queueing import redis_client
from services.tenancy import admin


@pytest.fixture
def keyed(settings, app_conn, owner_conn):
    ws = admin.create_workspace(app_conn, "Limits", "limits@example.com", verified=True)
    key_id = uuid.uuid4()
    _, prefix, digest = tokens.make()
    owner_conn.execute("INSERT INTO api_keys (id, workspace_id, name, key_prefix, key_hash, scopes) VALUES (%s, %s, 'l', %s, %s, '{permits:read}')",
                       (key_id, ws.workspace_id, prefix, digest))
    owner_conn.commit()
    redis = redis_client(settings)
    redis.flushdb()
    return redis, ws.workspace_id, key_id


def test_the_windows_refuse_past_the_burst_and_every_request_is_counted_once(keyed, owner_conn):
    redis, ws, key = keyed
    policy = Policy(burst=3, per_minute=100, per_month=None)
    for _ in range(3):
        limiter.admit(redis, owner_conn, key, ws, policy)
    with pytest.raises(limiter.SlowDown) as refused:
        limiter.admit(redis, owner_conn, key, ws, policy)
    assert refused.value.headers["Retry-After"] == "1"
    limiter.meter_error(redis, ws, key)  # one admitted request that then failed
    assert limiter.flush(redis, owner_conn) == 1
    assert owner_conn.execute("SELECT requests, errors FROM api_usage_daily WHERE api_key_id = %s", (key,)).fetchone() == (4, 2)


def test_without_redis_the_windows_fail_open_with_a_metric_and_the_quota_fails_closed(keyed, owner_conn):
    _, ws, key = keyed
    gone = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    before = metrics.ratelimit_fail_open._value.get()
    admitted = limiter.admit(gone, owner_conn, key, ws, Policy(burst=1, per_minute=1, per_month=None))
    admitted_again = limiter.admit(gone, owner_conn, key, ws, Policy(burst=1, per_minute=1, per_month=None))
    assert admitted.headers["RateLimit-Policy"] and admitted_again.headers
    assert metrics.ratelimit_fail_open._value.get() == before + 2
    with pytest.raises(limiter.QuotaUnknown):
        limiter.admit(gone, owner_conn, key, ws, Policy(burst=10, per_minute=100, per_month=1000))


def test_after_redis_loses_its_counters_the_month_is_seeded_from_the_books_and_the_quota_holds(keyed, owner_conn):
    redis, ws, key = keyed
    policy = Policy(burst=100, per_minute=1000, per_month=5)
    for _ in range(3):
        limiter.admit(redis, owner_conn, key, ws, policy)
    limiter.flush(redis, owner_conn)  # three in the books
    owner_conn.commit()
    limiter.admit(redis, owner_conn, key, ws, policy)  # one more, not yet flushed
    for k in redis.scan_iter(match="apiquota:*"):
        redis.delete(k)  # a restart that lost the month's counter
    last = limiter.admit(redis, owner_conn, key, ws, policy)
    assert last.headers["RateLimit"].startswith('"month";r=0')  # 3 booked + 1 unflushed + this one = 5 of 5
    with pytest.raises(limiter.QuotaSpent):
        limiter.admit(redis, owner_conn, key, ws, policy)
