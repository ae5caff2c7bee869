"""The source adapter interface, and the registry of adapters by name.

An adapter turns a source's text lines into permit records; opening files and URLs is
shared (`services.ingestion.fetch`). A new source (pending-approval files, the monthly
master) is a new adapter with its own parser; the pipeline stays the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from services.ingestion.sources import rrc


class SourceAdapter(Protocol):
    name: str
    description: str

    def records(self, lines: Iterable[str]) -> Iterator[rrc.PermitRecord | rrc.SkippedLine]: ...


class RRCDailyPermits:
    name = rrc.SOURCE
    description = "RRC Drilling Permit Master + Trailer, daily (daf420.dat)"
    # Member names inside the ZIP that RRC's file share hands out.
    zip_members = ("daf420.dat",)

    def records(self, lines: Iterable[str]) -> Iterator[rrc.PermitRecord | rrc.SkippedLine]:
        return rrc.parse_lines(lines)


ADAPTERS: dict[str, SourceAdapter] = {a.name: a for a in (RRCDailyPermits(),)}


def get_adapter(name: str) -> SourceAdapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; known sources: {', '.join(sorted(ADAPTERS))}") from None
