"""Fixed-window counters in Redis for sign-in attempts: per address and per client, so one
address cannot be guessed at from many clients, nor many addresses from one client."""

from __future__ import annotations

import hashlib

from redis import Redis

WINDOW_SECONDS = 15 * 60


def _key(kind: str, value: str) -> str:
    return f"permitwatch:login:{kind}:{hashlib.sha256(value.lower().encode()).hexdigest()[:32]}"


def blocked_for(redis: Redis, limit: int, **subjects: str) -> int:
    """Seconds until another attempt is allowed (0: allowed now)."""
    keys = [_key(k, v) for k, v in subjects.items() if v]
    pipe = redis.pipeline()
    for k in keys:
        pipe.get(k)
        pipe.ttl(k)
    values = pipe.execute()
    waits = [max(int(ttl), 1) for count, ttl in zip(values[::2], values[1::2], strict=True) if count and int(count) >= limit]
    return max(waits, default=0)


def record_failure(redis: Redis, **subjects: str) -> None:
    pipe = redis.pipeline()
    for k, v in subjects.items():
        if v:
            key = _key(k, v)
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS, nx=True)
    pipe.execute()


def clear(redis: Redis, **subjects: str) -> None:
    keys = [_key(k, v) for k, v in subjects.items() if v]
    if keys:
        redis.delete(*keys)
