"""A workspace's API use this month (UTC): per key and per day, requests and errors, against
its monthly quota; the books (`api_usage_daily`, read under RLS) plus what Redis has counted
and the sweep has not moved yet."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
from psycopg.rows import dict_row
from redis import Redis
from redis.exceptions import RedisError

from services.apikeys import limiter, limits


def month(cur: psycopg.Cursor, redis: Redis, workspace_id: uuid.UUID, policy: limits.Policy, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    first = now.date().replace(day=1)
    rows = cur.connection.cursor(row_factory=dict_row).execute(
        """SELECT k.id, k.name, k.key_prefix AS prefix, u.day, u.requests, u.errors FROM api_keys k
           LEFT JOIN api_usage_daily u ON u.api_key_id = k.id AND u.day >= %s ORDER BY k.created_at, u.day""", (first,)).fetchall()
    keys: dict[uuid.UUID, dict] = {}
    days: dict[str, dict] = {}

    def add(key_id, name, prefix, day: str, requests: int, errors: int) -> None:
        k = keys.setdefault(key_id, {"id": key_id, "name": name, "prefix": prefix, "requests": 0, "errors": 0})
        k["requests"] += requests
        k["errors"] += errors
        d = days.setdefault(day, {"day": day, "requests": 0, "errors": 0})
        d["requests"] += requests
        d["errors"] += errors
    names = {}
    for r in rows:
        names[str(r["id"])] = (r["id"], r["name"], r["prefix"])
        keys.setdefault(r["id"], {"id": r["id"], "name": r["name"], "prefix": r["prefix"], "requests": 0, "errors": 0})
        if r["day"] is not None:
            add(r["id"], r["name"], r["prefix"], r["day"].isoformat(), r["requests"], r["errors"])
    complete = True
    try:
        for pattern in (f"apiuse:{now:%Y-%m}-*", f"apiflush:*:{now:%Y-%m}-*"):
            for hkey in redis.scan_iter(match=pattern):
                day = hkey.decode().rsplit(":", 1)[1]
                for field, value in redis.hscan_iter(hkey, match=f"{workspace_id}:*"):
                    _, key_id, kind = field.decode().split(":")
                    if key_id in names:
                        add(*names[key_id], day, int(value) if kind == "requests" else 0, int(value) if kind == "errors" else 0)
    except RedisError:
        complete = False  # the books alone; said in the answer
    used = sum(k["requests"] for k in keys.values())
    return {"month": first.strftime("%Y-%m"), "quota": policy.per_month, "used": used,
            "remaining": None if policy.per_month is None else max(0, policy.per_month - used), "rate_per_minute": policy.per_minute,
            "burst_per_second": policy.burst, "complete": complete, "keys": list(keys.values()),
            "days": sorted(days.values(), key=lambda d: d["day"]),
            "deprecated_calls": [{"key_id": k, "operation": op, "calls": c} for k, op, c in limiter.deprecated_calls(redis, workspace_id)
                                 if k in names]}
