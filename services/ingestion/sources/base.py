"""The source adapter interface, and the registry of adapters by name.

An adapter turns a source's text lines into permit records; opening files and URLs is
shared (`services.ingestion.fetch`). A new source (pending-approval files, the monthly
master) is a new adapter with its own parser; the pipeline stays the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from services.ingestion.sources import pending, rrc


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


class RRCPendingSet(pending.PendingSet):
    """A set is read whole (its tables join), from the ZIP or folder the poll assembled."""

    def read(self, path) -> Iterator[rrc.PermitRecord | rrc.SkippedLine]:
        from services.ingestion.pending_set import read_set

        tables, _ = read_set(path)
        return pending.parse_set(tables)


ADAPTERS: dict[str, SourceAdapter] = {a.name: a for a in (RRCDailyPermits(), RRCPendingSet())}


def get_adapter(name: str) -> SourceAdapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; known sources: {', '.join(sorted(ADAPTERS))}") from None
