"""Versioning decisions for one permit, with no database."""

import uuid
from datetime import UTC, datetime

from services.ingestion.versioning import Filing, Incoming, PermitState, canonical_json, content_hash, decide, diff

SEEN = datetime(2026, 7, 28, tzinfo=UTC)
BASE = {"lease_name": "PEFFERCORN", "well_number": "3H", "issued_date": "2026-07-01", "amended_date": None,
        "application_status": "approved", "well_status": None, "spud_date": None,
        "surface_location": {"lon": -101.7, "lat": 32.0}, "bottom_hole_locations": [{"lon": -101.69, "lat": 31.97}]}


def _inc(seq, raw="r1", **changes):
    return Incoming(seq, raw, {**BASE, **changes})


def _state_from(decision):
    return PermitState(decision.permit_id, dict(decision.filings), decision.current.version_id if decision.current else None)


def test_a_new_permit_with_its_amendment_in_the_same_file():
    d = decide(None, [_inc(98, "r98", amended_date="2026-07-15"), _inc(99, "r99")], SEEN)
    assert d.is_new_permit
    assert [(c.sequence, c.change_type) for c in d.changes] == [(99, "new"), (98, "amended")]
    assert d.current.sequence == 98  # the lowest sequence is current
    amended = next(v for v in d.versions if v.sequence == 98)
    assert amended.effective_at == datetime(2026, 7, 15, tzinfo=UTC)
    assert d.changes[1].details["fields"] == {"amended_date": [None, "2026-07-15"]}


def test_the_same_record_again_changes_nothing():
    first = decide(None, [_inc(99)], SEEN)
    again = decide(_state_from(first), [_inc(99)], SEEN)
    assert not again.changed and not again.versions and not again.changes


def test_missing_coordinates_are_carried_not_a_change():
    first = decide(None, [_inc(99)], SEEN)
    later = decide(_state_from(first), [_inc(99, "r2", surface_location=None, bottom_hole_locations=[])], SEEN)
    assert later.versions == [] and later.changes == []
    assert later.raw_only == {99: "r2"}  # the new raw bytes are remembered for the fast path


def test_in_place_changes_are_classified():
    first = decide(None, [_inc(99)], SEEN)
    later = decide(_state_from(first), [_inc(99, "r2", spud_date="2026-07-20", well_status="final completion",
                                             lease_name="PEFFERCORN A", surface_location={"lon": -101.8, "lat": 32.0})], SEEN)
    kinds = {c.change_type: c.details["fields"] for c in later.changes}
    assert set(kinds) == {"spudded", "status_changed", "corrected", "location_changed"}
    assert kinds["spudded"] == {"spud_date": [None, "2026-07-20"]}
    assert kinds["corrected"] == {"lease_name": ["PEFFERCORN", "PEFFERCORN A"]}
    assert len(later.versions) == 1 and later.versions[0].effective_at == SEEN
    assert later.current is not None  # the current filing has a new version


def test_an_amendment_first_seen_without_its_original_is_amended_not_new():
    d = decide(None, [_inc(98, amended_date="2026-07-15")], SEEN)
    assert [(c.change_type, c.details["first_seen"]) for c in d.changes] == [("amended", True)]


def test_a_change_to_an_older_filing_does_not_move_current():
    first = decide(None, [_inc(99, "a"), _inc(98, "b")], SEEN)
    later = decide(_state_from(first), [_inc(99, "c", lease_name="X")], SEEN)
    assert [c.change_type for c in later.changes] == ["corrected"]
    assert later.current is None


def test_content_hash_is_stable_and_diff_lists_fields():
    assert content_hash(canonical_json({"a": 1, "b": 2})) == content_hash(canonical_json({"a": 1, "b": 2}))
    assert content_hash(canonical_json({"a": 1})) != content_hash(canonical_json({"a": 2}))
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == {"b": [2, 3]}


def test_known_permit_keeps_its_id():
    pid = uuid.uuid4()
    state = PermitState(pid, {99: Filing(99, uuid.uuid4(), "h", "raw", dict(BASE))}, None)
    assert decide(state, [_inc(98, "x", amended_date="2026-07-15")], SEEN).permit_id == pid


def test_the_hash_does_not_depend_on_key_order_at_any_depth():
    # Content read back from jsonb comes with nested keys re-ordered ("lat" before "lon").
    a = {"surface_location": {"lon": -101.7, "lat": 32.0}, "lease_name": "X"}
    b = {"lease_name": "X", "surface_location": {"lat": 32.0, "lon": -101.7}}
    assert content_hash(canonical_json(a)) == content_hash(canonical_json(b))


def test_a_filing_off_the_current_permits_stays_off_unless_a_new_version_of_its_current_filing_is_made():
    # A pending filing whose approved permit now stands for it has no current row.
    first = decide(None, [_inc(98, "r98", amended_date="2026-07-15"), _inc(99, "r99")], SEEN)
    off = PermitState(first.permit_id, dict(first.filings), None)
    # The original is listed again, changed: a version of a filing that is not the current one (98 is).
    again = decide(off, [_inc(99, "r99b", lease_name="PEFFERCORN UNIT")], SEEN)
    assert [v.sequence for v in again.versions] == [99] and again.current is None
    # A new version of the current filing puts the permit back on the current permits.
    amended = decide(off, [_inc(98, "r98b", amended_date="2026-07-20")], SEEN)
    assert amended.current is not None and amended.current.version_id == amended.versions[0].id
