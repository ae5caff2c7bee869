"""PURE: the pending-approval set parser on the real files' documented shapes and quirks,
and the generator's sets read back."""

from datetime import UTC, date, datetime

from services.ingestion.generator import Universe
from services.ingestion.pending_generator import render_set, sets_for_day
from services.ingestion.sources.pending import parse_set, read_table, table_of, wellbore_point
from services.ingestion.sources.rrc import PermitRecord, SkippedLine
from services.reference.sampling import CountySampler

OP4 = '"HIGHPEAK ENERGY HOLDINGS, LLC"}"385826"}"4325550100"}"08"}'
PERMIT_HEADER = ("SWR38_ABBR_NOTICE}IS_REAPPLIED}UNIVERSAL_DOC_NO}STATUS_NUMBER}TOTAL_DEPTH}IS_AMENDMENT}STATUS_SEQ_NO}"
                 "FILING_PURPOSE_CODE}DEFAULT_LEASE_NAME}DEFAULT_WELL_NUMBER}DEFAULT_VERTICAL}DEFAULT_HORIZANTAL}DEFAULT_SIDETRACK}"
                 "LOCKED_BY}DEFAULT_DIRECTIONAL}STATUS_CODE}CURRENT_STATE_CODE}SUBMIT_DATE}OPERATOR_NAME}OPERATOR_NUMBER}"
                 "OPERATOR_PHONE}DISTRICT")


def _permit_row(udn, number, seq="99", lease="PUCKETT 2-14 A UNIT ", well="   1MH", submitted="09-DEC-25 08.54.53.814000 PM"):
    cells = ["", "", udn, number, "7500", "N", seq, "01", lease, well, "N", "Y", "N"]
    rest = ["N", "P", "MAP", submitted]
    # as in the real files: no space before the first value, LOCKED_BY or the operator block
    return ('"' + cells[0] + '"}' + "".join(' "' + c + '"}' for c in cells[1:]) + '""}'
            + "".join(' "' + c + '"}' for c in rest) + OP4)


def _split_header(text: str, at: int) -> list[str]:
    return [text[:at], text[at:], ""]


WELLBORE_HEADER = ("LAT_DEGREES}LAT_MINUTES}LAT_SECONDS}LONG_DEGREES}LONG_MINUTES}LONG_SECONDS}STATE_PLANE_ZONE_CODE}"
                   "STATE_PLANE_X}API_SEQUENCE_NUMBER}COUNTY_CODE}WELLBORE_ID}UNIVERSAL_DOC_NO}STATE_PLANE_Y}"
                   "OPERATOR_NAME}OPERATOR_NUMBER}OPERATOR_PHONE}DISTRICT")


def _wb(udn, lat=("", "", ""), lon=("", "", ""), plane=("", "", ""), api="", county="033"):
    cells = [*lat, *lon, plane[0], plane[1], api, county, "7" + udn[-6:], udn, plane[2]]
    return '"' + cells[0] + '"}' + "".join(' "' + c + '"}' for c in cells[1:]) + OP4


def test_a_split_header_quoted_values_and_inner_padding_read_by_column_name():
    lines = _split_header(PERMIT_HEADER, 150) + [_permit_row("498844678", "911793")]
    table = read_table("drilling_permit", lines)
    [(line_no, row, _)] = table.rows
    assert table.header[2] == "UNIVERSAL_DOC_NO" and line_no == 4
    assert row["DEFAULT_LEASE_NAME"] == "PUCKETT 2-14 A UNIT " and row["DEFAULT_WELL_NUMBER"] == "   1MH"
    assert row["OPERATOR_NAME"] == "HIGHPEAK ENERGY HOLDINGS, LLC" and row["DISTRICT"] == "08"


def test_columns_added_and_reordered_are_mapped_by_name_and_old_unquoted_files_read():
    header = "STATUS_NUMBER}NEW_COLUMN}UNIVERSAL_DOC_NO}STATUS_SEQ_NO}SUBMIT_DATE}OPERATOR_NAME}OPERATOR_NUMBER}DISTRICT"
    old_style = "911794}x}498844679}98}10-DEC-25 09.00.00 AM}SMALL OIL CO}12}7C}"
    [rec] = [r for r in parse_set({"drilling_permit": [header, "", old_style]}) if isinstance(r, PermitRecord)]
    assert (rec.status_number, rec.sequence) == ("0911794", 98) and rec.fields["universal_doc_no"] == "498844679"
    assert rec.fields["operator_number"] == "000012" and rec.fields["district"] == "7C"
    assert rec.fields["submitted_at"] == "2025-12-10T15:00:00+00:00"


def test_locations_in_every_form_with_where_each_came_from():
    tables = {
        "drilling_permit": [PERMIT_HEADER, ""] + [_permit_row(u, n) for u, n in
                                                  (("498844678", "911793"), ("498844680", "911795"), ("498844681", "911796"),
                                                   ("498844682", "911797"))],
        "wellbore": [WELLBORE_HEADER, "",
                     _wb("498844678", lat=("31", "4", "49.26"), lon=("-101", "7", "21.77")),
                     _wb("498844680", lat=("32.544079", "", ""), lon=("101.378415", "", "")),  # a positive longitude
                     _wb("498844681", plane=("2", "1120350.59", "6844096.27")),
                     _wb("498844682", api="22742789", county="227")],
        "latlongs": ["API_SEQUENCE_NUMBER}LATITUDE}LONGITUDE}LOCATION_TYPE", "",
                     '"22742789"}"32.37235504"}"-101.23804887"}"BOTTOM"}', '"22742789"}"32.35"}"-101.2"}"SURFACE"}',
                     '"22742789"}"32.35"}"-101.2"}"SURFACE"}'],  # a duplicate row
    }
    recs = {r.fields["universal_doc_no"]: r for r in parse_set(tables) if isinstance(r, PermitRecord)}
    dms = recs["498844678"].fields
    assert dms["surface_location"] == {"lat": round(31 + 4 / 60 + 49.26 / 3600, 7), "lon": -round(101 + 7 / 60 + 21.77 / 3600, 7)}
    assert dms["location_source"] == "pending filing: degrees, minutes, seconds"
    assert recs["498844680"].fields["surface_location"] == {"lat": 32.544079, "lon": -101.378415}
    plane = recs["498844681"].fields
    assert abs(plane["surface_location"]["lon"] + 101.2487) < 1e-3 and abs(plane["surface_location"]["lat"] - 32.4125) < 1e-3
    assert "State Plane North Central" in plane["location_source"]
    api = recs["498844682"].fields
    assert api["api_number"] == "42-227-42789" and api["surface_location"] == {"lat": 32.35, "lon": -101.2}
    assert api["bottom_hole_locations"] == [{"lat": 32.37235504, "lon": -101.23804887}]
    assert api["location_source"] == "pending filing: RRC pending lat/long file" and api["county"] == "Howard"


def test_a_row_with_the_wrong_number_of_values_is_skipped_and_a_bad_status_number_is_fatal():
    lines = [PERMIT_HEADER, "", _permit_row("498844678", "91179X"), '"only"} "three"} "values"}']
    items = list(parse_set({"drilling_permit": lines}))
    skipped = [i for i in items if isinstance(i, SkippedLine)]
    [rec] = [i for i in items if isinstance(i, PermitRecord)]
    assert len(skipped) == 1 and "3 values for 22 columns" in skipped[0].reason
    assert rec.fatal and rec.problems[0].code == "bad_status_number"


def test_file_names_with_or_without_their_stamp_name_their_table():
    assert table_of("dp_wellbore_pending_20251210110806.txt") == ("wellbore", "20251210110806")
    assert table_of("documents/dp_drilling_permit_pending.txt") == ("drilling_permit", None)
    assert table_of("dp_latlong_pending_20251210110806.txt") == ("latlongs", "20251210110806")
    assert table_of("readme.txt") is None


def test_a_wellbore_without_coordinates_has_no_location():
    assert wellbore_point({"LAT_DEGREES": "", "LONG_DEGREES": "", "STATE_PLANE_ZONE_CODE": ""}) == (None, None, None)
    assert wellbore_point({"STATE_PLANE_ZONE_CODE": "9", "STATE_PLANE_X": "1", "STATE_PLANE_Y": "2"})[2] == \
        "state plane zone '9' is not a Texas zone"


def test_generated_sets_read_back_with_the_generators_locations():
    u = Universe(7, 400, date(2026, 6, 1), 30, CountySampler(7).sample)
    permits = list(u.all_permits())
    total = located = 0
    for at, apps in sets_for_day(u, date(2026, 6, 16), permits):
        files = render_set(u, at, apps)
        recs = [r for r in parse_set({table_of(n)[0]: lines for n, lines in files.items()}) if isinstance(r, PermitRecord)]
        assert [r.problems for r in recs if r.problems] == []
        assert sorted(r.status_number for r in recs) == sorted(a.status_number for a in apps)
        by_udn = {a.udn: a for a in apps}
        for r in recs:
            total += 1
            loc = r.fields["surface_location"]
            if loc:
                located += 1
                lon, lat = by_udn[r.fields["universal_doc_no"]].filing.surface
                assert abs(loc["lon"] - lon) < 2e-5 and abs(loc["lat"] - lat) < 2e-5  # about 2 m
            assert datetime.fromisoformat(r.fields["submitted_at"]) < at.astimezone(UTC)
    assert total > 10 and located / total > 0.75


def test_a_poll_takes_every_set_not_taken_yet_even_published_in_the_same_second_and_never_an_older_one():
    from datetime import timedelta

    from services.ingestion.godrive.page import FileRow
    from services.ingestion.poll import Share, items, new_items

    at = datetime(2026, 7, 31, 16, 8, 6, tzinfo=UTC)
    share = Share("rrc_pending", "x", "dp_*_pending*", sets=True)
    rows = [FileRow(i, str(i), f"l{i}", f"dp_{t}_pending_{stamp}.txt", at, "1 KB", 1024)
            for i, (t, stamp) in enumerate((("drilling_permit", "20260731110806"), ("wellbore", "20260731110806"),
                                            ("drilling_permit", "20260731170803"), ("readme", "x")))]
    cands = items(rows, share)
    assert [c.key for c in cands] == ["20260731110806", "20260731170803"] and len(cands[0].rows) == 2
    first_taken = {"20260731110806": at.isoformat()}
    assert [i.key for i in new_items(cands, first_taken)] == ["20260731170803"]
    older = {"20260801110806": (at + timedelta(days=1)).isoformat()}
    assert new_items(cands, older) == []  # a share that rolls back replays nothing
