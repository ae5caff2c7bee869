"""PURE: a key's rate limits and its workspace's monthly quota, and how they are told to the
caller: the IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers:
`RateLimit-Policy` names each policy with its quota `q` and window `w` in seconds,
`RateLimit` the remaining `r` and seconds to reset `t` of the tightest one) and `Retry-After`
on a refusal."""

from __future__ import annotations

from dataclasses import dataclass

BURST_WINDOW, MINUTE = 1, 60


@dataclass(frozen=True)
class Policy:
    burst: int  # requests per second, per key
    per_minute: int  # requests per sliding minute, per key
    per_month: int | None  # requests per calendar month (UTC), per workspace; None: no cap

    def windows(self) -> list[tuple[str, int, int]]:
        """(name, quota, window seconds) of the sliding windows, tightest first."""
        return [("burst", self.burst, BURST_WINDOW), ("minute", self.per_minute, MINUTE)]


def policy_for(per_minute: int | None, per_month: int | None, *, default_per_minute: int, default_per_month: int | None) -> Policy:
    """The key's policy from its workspace's quota row (nulls: the defaults). The burst is a
    sixth of the minute, at least 2, so a client may send in short bursts but not the whole
    minute at once."""
    minute = per_minute or default_per_minute
    return Policy(burst=max(2, minute // 6), per_minute=minute, per_month=per_month if per_month is not None else default_per_month)


def policy_header(p: Policy) -> str:
    parts = [f'"{name}";q={q};w={w}' for name, q, w in p.windows()]
    if p.per_month is not None:
        parts.append(f'"month";q={p.per_month};w=2592000')
    return ", ".join(parts)


def state_header(name: str, remaining: int, reset_seconds: int) -> str:
    return f'"{name}";r={max(0, remaining)};t={max(0, reset_seconds)}'


def tightest(states: list[tuple[str, int, int]]) -> tuple[str, int, int]:
    """The (name, remaining, reset) that runs out first: fewest remaining, then soonest reset."""
    return min(states, key=lambda s: (s[1], s[2]))
