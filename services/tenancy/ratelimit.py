"""PURE decisions and Redis counters for sign-in attempts.

Failures are counted per account-and-client (an e-mail address from one client address):
after `limit` of them in 15 minutes that pair waits, so a password cannot be guessed from
one place. A stranger's failures from elsewhere never touch your pair, so nobody can lock
you out by knowing your address. Failures are also counted per client, with a looser
ceiling (`limit` x CLIENT_FACTOR) against guessing many accounts from one place; past
it, attempts are slowed (each checked after a delay), never refused, so colleagues behind
one office address cannot lock each other out: the right password still works."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
WINDOW_SECONDS = 15 * 60
CLIENT_FACTOR = 10
SLOW_DOWN_SECONDS = 1.0


@dataclass(frozen=True)
class Verdict:
    wait: int  # seconds before this account may be tried from this client again (0: now)
    delay: float  # seconds to hold the attempt before checking it


def decide(pair_failures: int, pair_ttl: int, client_failures: int, limit: int) -> Verdict:
    if pair_failures >= limit:
        return Verdict(max(pair_ttl, 1), 0.0)
    if client_failures >= limit * CLIENT_FACTOR:
        return Verdict(0, SLOW_DOWN_SECONDS)
    return Verdict(0, 0.0)


def _key(kind: str, value: str) -> str:
    return f"permitwatch:login:{kind}:{hashlib.sha256(value.lower().encode()).hexdigest()[:32]}"


def _keys(email: str, client: str) -> tuple[str, str]:
    return _key("pair", f"{email.strip().lower()}|{client}"), _key("client", client)


def verdict(redis: Redis, limit: int, *, email: str, client: str) -> Verdict:
    """Without Redis every attempt is slowed: neither locked out nor unlimited."""
    pair, cli = _keys(email, client)
    try:
        pipe = redis.pipeline()
        pipe.get(pair)
        pipe.ttl(pair)
        pipe.get(cli)
        p, ttl, c = pipe.execute()
    except RedisError:
        log.warning("sign-in limiter: Redis unavailable; slowing attempts instead")
        return Verdict(0, SLOW_DOWN_SECONDS)
    return decide(int(p or 0), int(ttl or 0), int(c or 0), limit)


def record_failure(redis: Redis, *, email: str, client: str) -> None:
    try:
        pipe = redis.pipeline()
        for key in _keys(email, client):
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS, nx=True)
        pipe.execute()
    except RedisError:
        log.warning("sign-in limiter: Redis unavailable; a failure was not counted")


def clear(redis: Redis, *, email: str, client: str) -> None:
    """A successful sign-in clears its own pair (not the client's count: one success must
    not reset a guesser's ceiling)."""
    try:
        redis.delete(_keys(email, client)[0])
    except RedisError:
        log.warning("sign-in limiter: Redis unavailable; the pair's count stays until it expires")
