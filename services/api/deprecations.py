"""PURE: the /v1 operations on their way out, said in every answer: `Deprecation` (RFC 9745,
the moment it was deprecated as `@<unix seconds>`), `Sunset` (RFC 8594, when it stops
answering) and a `Link` to the changelog with rel="deprecation". The same list is the
changelog (`GET /v1/changelog`). Calls to them are counted per key, so their owners can be
told before the sunset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

CHANGELOG = "/v1/changelog"


@dataclass(frozen=True)
class Deprecated:
    method: str
    path: str  # the route's template, as in the OpenAPI document
    since: datetime
    sunset: datetime
    instead: str
    note: str

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"


# Nothing in /v1 is deprecated yet. An entry here marks its route in every answer; it must
# stay at least until its sunset, which is at least 12 months after `since`.
REGISTRY: tuple[Deprecated, ...] = ()
LEAST_NOTICE_DAYS = 365


def find(registry: tuple[Deprecated, ...], method: str, path: str) -> Deprecated | None:
    return next((d for d in registry if d.method == method and d.path == path), None)


def headers(d: Deprecated, base_url: str) -> dict[str, str]:
    return {"Deprecation": f"@{int(d.since.timestamp())}", "Sunset": format_datetime(d.sunset, usegmt=True),
            "Link": f'<{base_url.rstrip("/")}{CHANGELOG}>; rel="deprecation"; type="application/json"'}


def problems(registry: tuple[Deprecated, ...]) -> list[str]:
    """What is wrong with the registry: a sunset sooner than the notice the API promises."""
    return [f"{d.operation}: sunset {d.sunset:%Y-%m-%d} is less than {LEAST_NOTICE_DAYS} days after {d.since:%Y-%m-%d}"
            for d in registry if (d.sunset - d.since).days < LEAST_NOTICE_DAYS]
