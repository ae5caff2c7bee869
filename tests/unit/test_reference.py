"""Reference data: counties, RRC codes and districts."""

from services.ingestion.sources.rrc import PermitRecord, parse_lines
from services.reference.counties import COUNTIES, county_by_code, county_by_name, onshore_counties
from services.reference.rrc_codes import DISTRICT_BY_FILE_CODE
from services.reference.sampling import county_index
from tests.conftest import SAMPLE_DAYS, sample_lines


def test_254_counties_with_fips_order_codes():
    onshore = onshore_counties()
    assert len(onshore) == 254
    assert [c.code for c in onshore] == [f"{n:03d}" for n in range(1, 508, 2)]
    # "Mc" sorts as "Mac": the codes around Martin that third-party tables get wrong.
    assert [county_by_code(c).name for c in ("307", "309", "311", "313", "317", "323")] == [
        "McCulloch", "McLennan", "McMullen", "Madison", "Martin", "Maverick"]
    assert [county_by_code(c).name for c in ("117", "123", "127", "131")] == ["Deaf Smith", "DeWitt", "Dimmit", "Duval"]
    assert county_by_name("deaf  smith").code == "117"
    assert county_by_code("715").offshore and county_by_code("999") is None


def test_district_table_agrees_with_every_county_in_the_real_files():
    seen = {}
    for day in SAMPLE_DAYS:
        for line in sample_lines(day):
            if line.startswith("01"):
                seen[line[11:14]] = DISTRICT_BY_FILE_CODE[line[46:48]]
    assert len(seen) > 100
    wrong = {code: (COUNTIES[code].district, d) for code, d in seen.items() if COUNTIES[code].district != d}
    assert wrong == {}
    assert all(COUNTIES[code].seen for code in seen)


def test_every_onshore_county_has_a_polygon_containing_a_real_permit():
    index = county_index()
    assert set(index) == {c.code for c in onshore_counties()}
    records = [r for r in parse_lines(sample_lines("2026-07-28")) if isinstance(r, PermitRecord)]
    located = [r for r in records if r.fields["surface_location"]]
    inside = sum(index[r.fields["county_code"]].contains(r.fields["surface_location"]["lon"], r.fields["surface_location"]["lat"])
                 for r in located)
    assert inside / len(located) > 0.97
