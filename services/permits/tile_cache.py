"""Tile bytes cached in Redis by query signature. Keys carry a generation number that
ingestion bumps after it changes permits, so stale
tiles are never read again and expire on their own. ETags are the key's digest: a client
revalidating an unchanged tile costs one Redis GET and no tile work."""

from __future__ import annotations

import hashlib
import json
import logging

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
PERMITS_GEN = "permitwatch:tiles:gen"


def signature(layer: str, z: int, x: int, y: int, filters: dict, gen: int) -> str:
    canon = json.dumps(filters, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{layer}|{gen}|{z}/{x}/{y}|{canon}".encode()).hexdigest()[:32]
    return f"permitwatch:tile:{digest}"


def etag(key: str) -> str:
    return '"' + key.rsplit(":", 1)[1] + '"'


def generation(redis: Redis | None, gen_key: str = PERMITS_GEN) -> int | None:
    """None when Redis is unreachable: tiles are then built, not cached."""
    if redis is None:
        return None
    try:
        return int(redis.get(gen_key) or 0)
    except RedisError as exc:
        log.warning("tile cache unavailable: %s", exc)
        return None


def get(redis: Redis, key: str) -> bytes | None:
    try:
        return redis.get(key)
    except RedisError:
        return None


def put(redis: Redis, key: str, data: bytes, ttl: int) -> None:
    try:
        redis.set(key, data, ex=ttl)
    except RedisError as exc:
        log.warning("tile cache write failed: %s", exc)


def bump(redis: Redis, gen_key: str = PERMITS_GEN) -> None:
    try:
        redis.incr(gen_key)
    except RedisError as exc:
        # The old keys still expire after tile_cache_seconds; say so rather than fail the caller.
        log.warning("could not invalidate cached tiles (%s); they expire on their own", exc)
