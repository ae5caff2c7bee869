"""PURE versioning: what one snapshot means for one permit.

A permit (RRC status number) has filings: sequence 99 is the original, 98 the first
amendment, and so on; the lowest sequence is current. The daily file repeats the month
to date, so most records are already known. For each permit this module compares the
incoming filings with the latest known content of each filing and decides:

- a filing never seen -> a version, and a `new` change (sequence 99) or `amended`;
- a known filing whose content changed in place -> a version, and one change per kind
  of difference (`status_changed`, `location_changed`, `spudded`, `corrected`);
- a known filing with the same content -> nothing (re-ingesting, month-to-date repeats).

Coordinates come and go between snapshots (RRC omits record 14/15 for many permits on
some days), so a missing location is filled from the last known one for the status
number and marked `location_carried`; its absence is never a change.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

ORIGINAL_SEQUENCE = 99

STATUS_KEYS = frozenset({"application_status", "well_status", "well_status_date", "cancelled",
                         "cancelled_date", "cancellation_reason", "withdrawn_date"})
LOCATION_KEYS = frozenset({"surface_location", "bottom_hole_locations", "surface_legal"})


@dataclass(slots=True)
class Filing:
    """The latest known state of one filing."""

    sequence: int
    version_id: uuid.UUID
    version_hash: str
    raw_hash: str
    content: dict


@dataclass(slots=True)
class PermitState:
    permit_id: uuid.UUID
    filings: dict[int, Filing]
    current_version_id: uuid.UUID | None = None


@dataclass(slots=True)
class Incoming:
    sequence: int
    raw_hash: str
    fields: dict
    raw_record_id: int | None = None
    problems: list = field(default_factory=list)


@dataclass(slots=True)
class Version:
    id: uuid.UUID
    sequence: int
    content: dict
    content_json: str
    version_hash: str
    raw_hash: str
    effective_at: datetime
    location_carried: bool
    raw_record_id: int | None
    problems: list


@dataclass(slots=True)
class Change:
    version_id: uuid.UUID
    sequence: int
    change_type: str
    details: dict


@dataclass(slots=True)
class Decision:
    permit_id: uuid.UUID
    is_new_permit: bool
    versions: list[Version] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    filings: dict[int, Filing] = field(default_factory=dict)  # filings to write (changed)
    raw_only: dict[int, str] = field(default_factory=dict)  # same content, new raw hash
    current: Filing | None = None  # set when permits_current must be rewritten

    @property
    def changed(self) -> bool:
        return bool(self.versions or self.raw_only or self.current)


_encode = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=str).encode


def canonical_json(content: dict) -> str:
    """The content as stored and hashed, encoded once. Keys are sorted at every level:
    content read back from jsonb has its nested keys in jsonb's order, not the parser's."""
    return _encode(content)


def content_hash(content_json: str) -> str:
    # 128 bits tell one permit's versions apart with room to spare, at half the index size.
    return hashlib.sha256(content_json.encode()).hexdigest()[:32]


def decide(state: PermitState | None, incoming: list[Incoming], seen_at: datetime) -> Decision:
    """Compare a permit's incoming filings (any order) with its known state."""
    known = dict(state.filings) if state else {}
    decision = Decision(permit_id=state.permit_id if state else uuid.uuid4(), is_new_permit=state is None)
    # Originals before amendments, so a new permit's `new` precedes its `amended`.
    for inc in sorted(incoming, key=lambda i: -i.sequence):
        prior = known.get(inc.sequence)
        if prior is not None and prior.raw_hash == inc.raw_hash:
            continue  # byte-identical record: the month-to-date repeat
        content, carried = _with_carried_location(inc.fields, prior, known)
        text = canonical_json(content)
        vhash = content_hash(text)
        if prior is not None and prior.version_hash == vhash:
            decision.raw_only[inc.sequence] = inc.raw_hash
            continue
        version = Version(uuid.uuid4(), inc.sequence, content, text, vhash, inc.raw_hash,
                          _effective_at(content, inc.sequence, prior, seen_at), carried,
                          inc.raw_record_id, inc.problems)
        decision.versions.append(version)
        decision.changes.extend(_changes(version, prior, known))
        filing = Filing(inc.sequence, version.id, vhash, inc.raw_hash, content)
        known[inc.sequence] = decision.filings[inc.sequence] = filing
    current = known[min(known)] if known else None
    # A permit with no current row but known filings (a filing whose approved permit now
    # stands for it) stays off the current permits unless this run made a new version of it.
    made = {v.id for v in decision.versions}
    if current is not None and (state is None or current.version_id != state.current_version_id) \
            and (state is None or state.current_version_id is not None or current.version_id in made):
        decision.current = current
    return decision


def _with_carried_location(fields: dict, prior: Filing | None, known: dict[int, Filing]) -> tuple[dict, bool]:
    content = dict(fields)
    carried = False
    donors = ([prior] if prior else []) + [known[s] for s in sorted(known)]
    for key, empty in (("surface_location", None), ("bottom_hole_locations", [])):
        if content.get(key):
            continue
        donor = next((f.content[key] for f in donors if f.content.get(key)), empty)
        if donor:
            content[key] = donor
            carried = True
    return content, carried


def _effective_at(content: dict, sequence: int, prior: Filing | None, seen_at: datetime) -> datetime:
    """When the filing took effect: its amendment or issue date for a new filing; for an
    in-place change we only know when we saw it."""
    if prior is None:
        keys = ("amended_date", "issued_date", "received_date") if sequence < ORIGINAL_SEQUENCE else ("issued_date", "received_date")
        for key in keys:
            if content.get(key):
                return datetime.combine(date.fromisoformat(content[key]), time(), tzinfo=UTC)
    return seen_at


def _changes(version: Version, prior: Filing | None, known: dict[int, Filing]) -> list[Change]:
    if prior is None:
        if version.sequence == ORIGINAL_SEQUENCE:
            return [Change(version.id, version.sequence, "new", {})]
        # Compared with the filing it amends (the next-higher sequence we know), if any.
        base = next((known[s] for s in sorted(known) if s > version.sequence), None)
        details = {"sequence": version.sequence, "first_seen": base is None}
        if base is not None:
            details["fields"] = diff(base.content, version.content)
        return [Change(version.id, version.sequence, "amended", details)]
    fields = diff(prior.content, version.content)
    kinds: dict[str, dict] = {}
    for key, pair in fields.items():
        kinds.setdefault(_kind(key, pair), {})[key] = pair
    return [Change(version.id, version.sequence, kind, {"fields": changed}) for kind, changed in sorted(kinds.items())]


def _kind(key: str, pair: list) -> str:
    if key in STATUS_KEYS:
        return "status_changed"
    if key in LOCATION_KEYS:
        return "location_changed"
    if key == "spud_date" and pair[0] is None:
        return "spudded"
    return "corrected"


def diff(old: dict, new: dict) -> dict[str, list]:
    """{field: [old, new]} for every top-level field that differs."""
    return {k: [old.get(k), new.get(k)] for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)}
