"""The daf420 parser on the real RRC sample files and on hand-made lines."""

import pytest

from services.ingestion.sources.rrc import PermitRecord, SkippedLine, parse_lines
from tests.conftest import SAMPLE_DAYS, sample_lines


def _records(lines):
    return [i for i in parse_lines(lines) if isinstance(i, PermitRecord)]


@pytest.mark.parametrize("day", SAMPLE_DAYS)
def test_every_permit_in_every_sample_is_parsed(day):
    lines = sample_lines(day)
    items = list(parse_lines(lines))
    records = [i for i in items if isinstance(i, PermitRecord)]
    skipped = [i for i in items if isinstance(i, SkippedLine)]
    assert len(records) == sum(1 for line in lines if line.startswith("01"))
    assert len(skipped) == sum(1 for line in lines if line.startswith("\x85"))
    assert all(s.reason == "continuation_line" for s in skipped)
    keys = [(r.status_number, r.sequence) for r in records]
    assert len(keys) == len(set(keys)), "a (status number, sequence) appears twice"
    assert not any(r.fatal for r in records)
    for r in records:
        assert r.fields["application_status"] == "approved"
        assert r.fields["county"] and r.fields["district"] and r.fields["api_number"].startswith("42-")
        assert r.fields["api_number"][3:6] == r.fields["county_code"]  # API county part == county code


# Counts read off the files with grep (`grep -c '^01'`, `grep -c '^14'`) and awk.
@pytest.mark.parametrize("day,permits,located", [("2026-07-28", 706, 240), ("2026-07-03", 59, None)])
def test_sample_counts(day, permits, located):
    records = _records(sample_lines(day))
    assert len(records) == permits
    if located is not None:
        # 241 `14` lines, one permit (0916793-99) carries two.
        assert sum(1 for r in records if r.fields["surface_location"]) == located


def test_fields_checked_by_hand_on_0916838():
    records = {r.source_record_id: r for r in _records(sample_lines("2026-07-28"))}
    # The file lists this permit's filings as 97, 99, 98: all three versions side by side.
    assert {k for k in records if k.startswith("0916838")} == {"0916838-97", "0916838-98", "0916838-99"}
    f = records["0916838-97"].fields
    assert (f["county_code"], f["county"], f["district"]) == ("173", "Glasscock", "08")  # file code 10 = district 08
    assert (f["operator_number"], f["operator_name"]) == ("101935", "BLACK SWAN OPCO, LLC")
    assert (f["lease_name"], f["well_number"], f["total_depth"]) == ("PEFFERCORN", "3H", 10500)
    assert (f["filing_purpose_code"], f["filing_purpose"]) == ("01", "New Drill")
    assert f["received_date"] == "2026-07-20" and f["issue_date"] == "2026-07-01"
    assert f["surface_location"] == {"lon": -101.6979715, "lat": 32.0120007}
    assert f["bottom_hole_locations"] == [{"lon": -101.6868201, "lat": 31.9700659}]
    assert records["0916838-99"].fields["received_date"] == "2026-06-30"


def test_fields_checked_by_hand_on_0916200():
    r = {r.source_record_id: r for r in _records(sample_lines("2026-07-28"))}["0916200-99"]
    f = r.fields
    assert f["county"] == "Anderson" and f["api_number"] == "42-001-32873"
    assert f["wellbore_profile"] == "horizontal"  # 02/494 = Y
    assert f["surface_location"] == {"lon": -96.0030069, "lat": 31.9374525}
    assert f["bottom_hole_locations"] == [{"lon": -96.0105349, "lat": 31.966637}]
    assert f["surface_legal"]["survey"] == "SNIDER, W" and f["surface_legal"]["abstract"] == "719"


def _permit(coord_lines, status="0912345"):
    root = f"01{status}99329PEFFERCORN".ljust(46) + "10101935    20260720" + "BLACK SWAN OPCO, LLC".ljust(32) + "00A"
    master = f"02{status}99329".ljust(502) + "32912345"
    return [root.ljust(130), master, *coord_lines]


@pytest.mark.parametrize("line", ["14-103.0123038  32.3355403", "14: -103.0123038  32.3355403",
                                  "14 -103.0123038 32.3355403", "14:  -103.0123038    32.3355403   \r\n"])
def test_coordinates_in_2025_and_2026_styles(line):
    (rec,) = _records(_permit([line]))
    assert rec.fields["surface_location"] == {"lon": -103.0123038, "lat": 32.3355403}
    assert not rec.problems


@pytest.mark.parametrize("line,code,expected", [
    ("14: 103.0123038  32.3355403", "positive_longitude", {"lon": -103.0123038, "lat": 32.3355403}),
    ("14: 32.3355403  -103.0123038", "swapped_coordinates", {"lon": -103.0123038, "lat": 32.3355403}),
    ("14: 0.0000000  0.0000000", "zero_coordinates", None),
    ("14: -80.1000000  32.3355403", "outside_texas", None),
    ("14: garbage", "bad_coordinates", None),
])
def test_coordinate_faults_are_repaired_or_rejected_and_recorded(line, code, expected):
    (rec,) = _records(_permit([line]))
    assert rec.fields["surface_location"] == expected
    assert [p.code for p in rec.problems] == [code]
    assert not rec.fatal


def test_broken_records_are_fatal_with_a_reason_and_do_not_stop_the_file():
    good = _permit(["14: -103.0  32.3"], "0900001")
    bad_status = _permit([], "09X0002")
    no_master = _permit([], "0900003")[:1]
    items = list(parse_lines(bad_status + no_master + good + ["\x85continued remark", "16 a future record id"]))
    recs = [i for i in items if isinstance(i, PermitRecord)]
    assert [r.fatal for r in recs] == [True, True, False]
    assert recs[0].problems[0].code == "bad_status_number"
    assert recs[1].problems[0].code == "missing_segment"
    assert recs[2].unknown_record_ids == {"16"}
    skipped = [i for i in items if isinstance(i, SkippedLine)]
    assert [(s.reason, s.status_number) for s in skipped] == [("continuation_line", "0900001")]


def test_bad_dates_and_codes_are_problems_not_crashes():
    lines = _permit([])
    lines[1] = lines[1][:129] + "20260231" + lines[1][137:]  # 31 February
    (rec,) = _records(lines)
    assert rec.fields["issued_date"] is None
    assert "bad_date" in [p.code for p in rec.problems]
