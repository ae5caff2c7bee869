"""Rate limits, the monthly quota and metering of API key requests, in Redis (the project's
Redis runs with an append-only file, so counts survive its restart).

- Sliding windows (a second's burst, a minute) per key, exact: one Lua script trims, checks
  and records every window atomically, so concurrent requests never get past the policy.
  If Redis cannot be reached the windows fail open (counted in a metric): the burst limiter
  protects the service, and a Redis outage should not take the API down with it.
- The monthly quota per workspace is a counter seeded from `api_usage_daily` when missing;
  it fails closed: without the counter, a request is refused with 503 and Retry-After.
- Metering: each request is counted in a per-day hash by the same script that admits it
  (one round trip for all three), an error after admission by one HINCRBY; the sweep moves
  the hashes into `api_usage_daily` exactly once (the hash is renamed to a flush id, and the
  id is recorded in the same transaction as the counts), with no database write per request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from redis import Redis
from redis.exceptions import RedisError

from services.apikeys.limits import Policy, policy_header, state_header, tightest
from services.errors import DomainError
from services.metrics import registry as metrics

# One round trip admits a request: it is counted in the day's usage hash (every request the
# limiter sees, refused ones as errors too), the windows are trimmed and checked, the month's
# counter taken, and only then are the windows recorded, all atomically. -1: the month's
# counter is missing (nothing was counted; seed it and ask again).
_ADMIT = """
local now, nwin = tonumber(ARGV[1]), tonumber(ARGV[3])
local quota, field = tonumber(ARGV[4 + 2 * nwin]), ARGV[5 + 2 * nwin]
local month, usage = KEYS[nwin + 1], KEYS[nwin + 2]
if quota >= 0 and redis.call('EXISTS', month) == 0 then return {-1} end
redis.call('HINCRBY', usage, field .. ':requests', 1)
local states = {}
for i = 1, nwin do
  local limit, window = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local reset = window
  if oldest[2] then reset = window - (now - tonumber(oldest[2])) end
  if count >= limit then
    redis.call('HINCRBY', usage, field .. ':errors', 1)
    return {0, i, reset}
  end
  states[i] = {count, reset}
end
local used = -1
if quota >= 0 then
  used = redis.call('INCR', month)
  if used > quota then
    redis.call('DECR', month)
    redis.call('HINCRBY', usage, field .. ':errors', 1)
    return {-2}
  end
end
local out = {1, used}
for i = 1, nwin do
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3 + 2 * i]))
  table.insert(out, states[i][1] + 1)
  table.insert(out, states[i][2])
end
return out
"""


class SlowDown(DomainError):
    """429: a rate limit; `headers` say which and when to retry."""

    def __init__(self, message: str, headers: dict[str, str]):
        super().__init__(message)
        self.headers = headers


class QuotaSpent(SlowDown):
    """429: the workspace's requests for this month are used up."""


class QuotaUnknown(DomainError):
    """503: the quota counter cannot be read; refusing is safer than not counting."""


@dataclass
class Admitted:
    headers: dict[str, str]


def _month_key(workspace_id: uuid.UUID, now: datetime) -> str:
    return f"apiquota:{workspace_id}:{now:%Y%m}"


def admit(redis: Redis, conn: psycopg.Connection | None, key_id: uuid.UUID, workspace_id: uuid.UUID, policy: Policy,
          now: datetime | None = None) -> Admitted:
    """Admit one request of a key, counted in the day's usage, or raise SlowDown /
    QuotaSpent / QuotaUnknown (the refusal counted as an error)."""
    now = now or datetime.now(UTC)
    ms = int(now.timestamp() * 1000)
    windows = policy.windows()
    headers = {"RateLimit-Policy": policy_header(policy)}
    quota = -1 if policy.per_month is None else policy.per_month
    keys = [f"apirate:{key_id}:{name}" for name, _, _ in windows] + [_month_key(workspace_id, now), _day_key(now)]
    args: list = [ms, f"{ms}-{uuid.uuid4().hex[:8]}", len(windows)]
    for _, q, w in windows:
        args += [q, w * 1000]
    args += [quota, f"{workspace_id}:{key_id}"]
    try:
        res = _script(redis)(keys=keys, args=args)
        if res[0] == -1:  # first request of the month, or Redis lost the counter: seed it from the books
            seed = _month_from_books(conn, workspace_id, now) + unflushed(redis, workspace_id, now)
            redis.set(keys[-2], seed, nx=True, ex=40 * 86400)
            res = _script(redis)(keys=keys, args=args)
    except RedisError as exc:
        metrics.ratelimit_fail_open.inc()
        metrics.metering_lost.inc()
        if policy.per_month is not None:
            raise QuotaUnknown("the API's quota counter cannot be reached just now; retry in a few seconds") from exc
        return Admitted(headers)
    reset = int((_next_month(now) - now).total_seconds())
    if res[0] == -1:
        raise QuotaUnknown("the API's quota counter could not be set up; retry in a few seconds")
    if res[0] == -2:
        raise QuotaSpent(f"this workspace has used its {policy.per_month:,} API requests for this month; more from "
                         f"{_next_month(now):%B 1} (UTC), or raise the plan's quota",
                         {**headers, "RateLimit": state_header("month", 0, reset), "Retry-After": str(reset)})
    if res[0] == 0:
        name, q, _ = windows[int(res[1]) - 1]
        retry = max(1, -(-int(res[2]) // 1000))
        raise SlowDown(f"more than {q} requests per {'second' if name == 'burst' else 'minute'} with this key; retry in {retry} s",
                       {**headers, "RateLimit": state_header(name, 0, retry), "Retry-After": str(retry)})
    states = [(name, q - int(res[2 + 2 * i]), max(1, -(-int(res[3 + 2 * i]) // 1000))) for i, (name, q, _) in enumerate(windows)]
    if policy.per_month is not None:
        states.append(("month", policy.per_month - int(res[1]), reset))
    headers["RateLimit"] = state_header(*tightest(states))
    return Admitted(headers)


def _script(redis: Redis):
    """The admission script, sent by its digest (EVALSHA) once Redis has it."""
    script = getattr(redis, "_permitwatch_admit", None)
    if script is None:
        script = redis.register_script(_ADMIT)
        redis._permitwatch_admit = script
    return script


def _next_month(now: datetime) -> datetime:
    return datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)


def _month_from_books(conn: psycopg.Connection | None, workspace_id: uuid.UUID, now: datetime) -> int:
    if conn is None:
        return 0
    row = conn.execute("SELECT coalesce(sum(requests), 0) FROM api_usage_daily WHERE workspace_id = %s AND day >= %s",
                       (workspace_id, now.date().replace(day=1))).fetchone()
    return int(row[0])


# ---- metering --------------------------------------------------------------------------------

def _day_key(now: datetime) -> str:
    return f"apiuse:{now:%Y-%m-%d}"


def meter_error(redis: Redis, workspace_id: uuid.UUID, key_id: uuid.UUID, now: datetime | None = None) -> None:
    """Count an admitted request that failed (its request was counted when admitted); never
    raises (a lost count is better than a failed request; the loss is counted)."""
    try:
        redis.hincrby(_day_key(now or datetime.now(UTC)), f"{workspace_id}:{key_id}:errors", 1)
    except RedisError:
        metrics.metering_lost.inc()


def count_deprecated(redis: Redis, workspace_id: uuid.UUID, key_id: uuid.UUID, operation: str) -> None:
    """One more call of a deprecated operation by this key (kept 400 days: past any sunset)."""
    try:
        name = f"apideprecated:{workspace_id}"
        redis.hincrby(name, f"{key_id} {operation}", 1)
        redis.expire(name, 400 * 86400)
    except RedisError:
        metrics.metering_lost.inc()


def deprecated_calls(redis: Redis, workspace_id: uuid.UUID) -> list[tuple[str, str, int]]:
    """(key id, operation, calls) of the workspace's keys that called deprecated operations."""
    try:
        raw = redis.hgetall(f"apideprecated:{workspace_id}")
    except RedisError:
        return []
    return sorted((k.decode().split(" ", 1)[0], k.decode().split(" ", 1)[1], int(v)) for k, v in raw.items())


def unflushed(redis: Redis, workspace_id: uuid.UUID, now: datetime) -> int:
    """This month's requests of a workspace still in Redis (not yet in api_usage_daily)."""
    total = 0
    for pattern in (f"apiuse:{now:%Y-%m}-*", f"apiflush:*:{now:%Y-%m}-*"):
        for key in redis.scan_iter(match=pattern):
            total += sum(int(v) for _, v in redis.hscan_iter(key, match=f"{workspace_id}:*:requests"))
    return total


def flush(redis: Redis, conn: psycopg.Connection) -> int:
    """Move the metered counts into api_usage_daily, exactly once; returns the rows written.
    Runs as the owner role (the sweep), across workspaces."""
    written = 0
    for key in list(redis.scan_iter(match="apiuse:*")):
        day = key.decode().split(":", 1)[1]
        held = f"apiflush:{uuid.uuid4().hex}:{day}"
        try:
            redis.rename(key, held)
        except RedisError:
            continue  # another sweep took it
    for held in list(redis.scan_iter(match="apiflush:*")):
        name = held.decode()
        flush_id, day = name.split(":")[1], name.split(":", 2)[2]
        counts: dict[tuple[str, str], list[int]] = {}
        for field, value in redis.hgetall(held).items():
            ws, key_id, kind = field.decode().split(":")
            counts.setdefault((ws, key_id), [0, 0])[0 if kind == "requests" else 1] += int(value)
        with conn.transaction():
            done = conn.execute("INSERT INTO api_usage_flushes (id) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id", (flush_id,)).fetchone()
            if done is not None:
                for (ws, key_id), (requests, errors) in counts.items():
                    conn.execute("""INSERT INTO api_usage_daily (workspace_id, api_key_id, day, requests, errors)
                                    SELECT %s, %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = %s)
                                    ON CONFLICT (api_key_id, day) DO UPDATE
                                    SET requests = api_usage_daily.requests + EXCLUDED.requests, errors = api_usage_daily.errors + EXCLUDED.errors""",
                                 (ws, key_id, day, requests, errors, key_id))
                    written += 1
        redis.delete(held)
    return written
