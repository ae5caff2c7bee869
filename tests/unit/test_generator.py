"""The demo/test data generator writes what the parser reads, deterministically."""

from datetime import date

import pytest

from services.ingestion.generator import Universe, business_days, first_business_day
from services.ingestion.sources.rrc import PermitRecord, SkippedLine, parse_lines
from services.reference.counties import COUNTIES
from services.reference.sampling import CountySampler, county_index


@pytest.fixture(scope="module")
def universe():
    return Universe(seed=11, permits=1500, start=date(2026, 6, 1), days=61, sampler=CountySampler(11).sample)


def _parse(universe, day, permits=None):
    lines = [line for rec in universe.snapshot(day, permits) for line in rec]
    return list(parse_lines(lines)), lines


def test_same_seed_same_bytes(universe):
    other = Universe(seed=11, permits=1500, start=date(2026, 6, 1), days=61, sampler=CountySampler(11).sample)
    a = [line for rec in universe.snapshot(date(2026, 7, 15)) for line in rec]
    b = [line for rec in other.snapshot(date(2026, 7, 15)) for line in rec]
    assert a == b
    c = Universe(seed=12, permits=1500, start=date(2026, 6, 1), days=61, sampler=CountySampler(12).sample)
    assert a != [line for rec in c.snapshot(date(2026, 7, 15)) for line in rec]


def test_round_trip_every_permit_parses_to_what_was_generated(universe):
    permits = {p.status_number: p for p in universe.all_permits()}
    items, _ = _parse(universe, date(2026, 7, 31), list(permits.values()))
    records = [i for i in items if isinstance(i, PermitRecord) and not i.fatal]
    assert len(records) > 500
    index = county_index()
    for r in records:
        p = permits[r.status_number]
        filing = next(f for f in p.filings if f.sequence == r.sequence)
        f = r.fields
        assert f["county_code"] == p.county and f["district"] == COUNTIES[p.county].district
        assert f["lease_name"].replace("  ", " ") == filing.lease_name
        assert f["total_depth"] == filing.total_depth and f["well_number"] == filing.well_number
        assert f["wellbore_profile"] == ("horizontal" if p.horizontal else "directional" if p.directional else "vertical")
        assert f["issued_date"] == p.filings[0].day.isoformat()
        assert f["operator_number"] == universe.operator_number(p.operator_index)
        if f["surface_location"]:
            lon, lat = f["surface_location"]["lon"], f["surface_location"]["lat"]
            assert (lon, lat) == filing.surface and index[p.county].contains(lon, lat)
        assert not [x for x in r.problems if x.code != "outside_texas"]


def test_month_to_date_and_the_previous_month_on_the_first_business_day(universe):
    permits = list(universe.all_permits())
    july1 = first_business_day(date(2026, 7, 1))
    items, _ = _parse(universe, july1, permits)
    days = {r.fields["amended_date"] or r.fields["issued_date"] for r in items if isinstance(r, PermitRecord) and not r.fatal}
    assert days and all(d.startswith("2026-06") for d in days)  # June, complete
    items, _ = _parse(universe, date(2026, 7, 2), permits)
    days = {r.fields["amended_date"] or r.fields["issued_date"] for r in items if isinstance(r, PermitRecord) and not r.fatal}
    assert days and all("2026-07-01" <= d <= "2026-07-02" for d in days)


def test_faults_are_sprinkled_in(universe):
    noisy = Universe(seed=3, permits=3000, start=date(2026, 7, 1), days=30, sampler=CountySampler(3).sample, malformed_rate=0.05)
    items, _ = _parse(noisy, date(2026, 7, 31))
    assert any(isinstance(i, SkippedLine) and i.reason == "continuation_line" for i in items)
    assert any(isinstance(i, PermitRecord) and i.fatal for i in items)
    records = [i for i in items if isinstance(i, PermitRecord)]
    located = sum(1 for r in records if r.fields.get("surface_location"))
    assert 0.2 < located / len(records) < 0.6  # coordinates for part of the permits, as in 2026 files


def test_2025_files_use_the_2025_coordinate_style():
    u = Universe(seed=5, permits=300, start=date(2025, 11, 3), days=20, sampler=CountySampler(5).sample)
    lines = [line for rec in u.snapshot(date(2025, 11, 21)) for line in rec]
    coords = [line for line in lines if line.startswith("14")]
    assert coords and all(":" not in c and len(c) == 26 for c in coords)


def test_business_days_skip_weekends():
    assert [d.weekday() for d in business_days(date(2026, 7, 3), date(2026, 7, 7))] == [4, 0, 1]
