"""PURE: pending-approval file sets consistent with a generated universe's daily files.

Each filing (original or amendment) of a permit is submitted one to three business days
before the day it is approved (its day in the daily file), at a working-hours time. The
RRC writes two sets a day: at about 11:08 for W-1s submitted since 17:00 the previous
business day, and at about 17:08 for those submitted since 11:00; a set holds only
applications still pending when it is written. One permit in fifty also has a sibling
application that is never approved (withdrawn), under its own status number.

The text follows the real files' quirks (shared/rrc/more.md section 2.4): `}`-delimited,
every value quoted and most preceded by a space, a trailing `}` on data rows, and the
header split over two lines and followed by a blank line. Locations come in the three
forms of the wellbore rows (degrees-minutes-seconds, decimal degrees, Texas State Plane)
and, for wellbores with an API number, as lat/long rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from services.ingestion.generator import Filing, Permit, Universe
from services.reference.counties import COUNTIES

RRC_TZ = ZoneInfo("America/Chicago")
MORNING, EVENING = time(11, 8, 6), time(17, 8, 3)
OP4 = ["OPERATOR_NAME", "OPERATOR_NUMBER", "OPERATOR_PHONE", "DISTRICT"]
COLUMNS = {
    "drilling_permit": [
        "SWR38_ABBR_NOTICE", "IS_REAPPLIED", "UNIVERSAL_DOC_NO", "STATUS_NUMBER", "EFFECTIVE_DT", "RETURN_DT", "TOTAL_DEPTH",
        "IS_AMENDMENT", "SWR_36_FLAG", "DEVELOP_MINERALS_FLAG", "CASE_DOCKET_NO", "FINAL_PROTEST_DT", "STATUS_SEQ_NO", "SPUD_DT",
        "EXPEDITE_FLAG", "EXPEDITE_DATE_TIME", "FILING_PURPOSE_CODE", "SURFACE_CASING_DT", "DEFAULT_LEASE_NAME",
        "DEFAULT_WELL_NUMBER", "DEFAULT_VERTICAL", "DEFAULT_HORIZANTAL", "DEFAULT_SIDETRACK", "LOCKED_BY", "DEFAULT_DIRECTIONAL",
        "STATUS_CODE", "EXPIRATION_DATE", "WALKIN_CONTACT_NAME", "WALKIN_CONTACT_PHONE", "COMPLETION_CODE", "SWR_SUBSECT_CODE",
        "STAT_DT", "CURRENT_STATE_CODE", "BRIDGE_FLAG", "SWR_LIST", "BRIDGE_PRINT_FLAG", "HAS_DISCREPANCY", "SUBMIT_DATE",
        "CREATE_DATE", "UNIQUE_ADDRESS_NUMBER", "DKT_SUFFIX_CODE", "DKT_EXAMINER_CODE", "REAPPLIED_STATUS_NO",
        "OVERRIDE_FA_OP_CONSULT_YN", "OVERRIDE_P5_DELINQUENT_YN", "CASES_NO", "CASES_EXCEP_APPROVAL_CODE", "APPROVED_BY", *OP4],
    "wellbore": [
        "LATLONG_TYPE_CODE", "LAT_DEGREES", "LAT_MINUTES", "LAT_SECONDS", "LONG_DEGREES", "LONG_MINUTES", "LONG_SECONDS",
        "STATE_PLANE_ZONE_CODE", "STATE_PLANE_X", "GW1_FLAG", "LAT_DEGREES_S", "LAT_MINUTES_S", "LAT_SECONDS_S",
        "LONG_DEGREES_S", "LONG_MINUTES_S", "LONG_SECONDS_S", "API_SEQUENCE_NUMBER", "DIRECTIONS", "MODIFIED_BY",
        "NEAREST_TOWN_DISTANCE", "NEAREST_TOWN", "MODIFIED_DT", "API_LINKED_FLAG", "LOCATION_DESCRIPTION", "COUNTY_CODE",
        "SURFACE_LOCATION_CODE", "WELLBORE_ID", "OFFSHORE_COUNTY_CODE", "UNIVERSAL_DOC_NO", "HORIZ_WELLBORE_TYPE_CODE",
        "STACKED_LAT_STATUS_NO", "PSA_FLAG", "ALLOCATION_FLAG", "STACKED_LATERAL_FLAG", "STATE_PLANE_Y", *OP4],
    "latlongs": ["API_SEQUENCE_NUMBER", "LATITUDE", "LONGITUDE", "LOCATION_TYPE"],
    "permitted_field": [
        "WELL_NUMBER", "UNIVERSAL_DOC_NO", "FIELD_ID", "WELL_TYPE_CODE", "MODIFIED_BY", "COMPLETION_DEPTH", "MODIFIED_DT",
        "PRIMARY_FIELD_FLAG", "TOTAL_ACRES", "REPORTED_LEASE_NAME", "PERMITTED_FIELD_ID", *OP4],
    "wellbore_profile": ["PROFILE_NAME", "WELLBORE_PROFILE_ID", "PROFILE_CODE", "MODIFIED_BY", "PERMITTED_FIELD_ID",
                         "MODIFIED_DT", *OP4],
    "permit_restriction": ["PERMIT_RESTRICTION_ID", "RESTRICTION_CODE", "UNIVERSAL_DOC_NO", "RESTRICTION_TEXT", "MODIFIED_BY",
                           "MODIFIED_DT", *OP4],
    "swr_resolution": ["UNIVERSAL_DOC_NO", "SWR_RESLTN_CODE", "MODIFIED_BY", "MODIFIED_DT", "SWR_RESOLUTION_ID", *OP4],
    "mailing_address": ["MAILING_ADDRESS_ID", "ADDRESS_LINE1", "ADDRESS_LINE2", "CITY", "COUNTRY_CODE", "STATE_CODE",
                        "FOREIGN_DELIVERY_AREA", "UNIVERSAL_DOC_NO", "POSTAL_CODE", "POSTAL_EXTENSION_CODE", "MODIFIED_BY",
                        "MODIFIED_DT", *OP4],
}
_PERP = ["LOCATION_TOWNSHIP", "LOCATION_LOT", "LOCATION_PORCION", "LOCATION_SHARE", "LOCATION_LEAGUE", "LOCATION_LABOR",
         "LOCATION_TRACT", "PERP_ID", "MODIFIED_BY", "SECTION_LINE1_DISTANCE", "SECTION_LINE1_DIRECTION", "MODIFIED_DT", "SECTION",
         "SECTION_LINE2_DISTANCE", "ABSTRACT_NUMBER", "SECTION_LINE2_DIRECTION", "SURVEY_NAME", "LOCATION_COMMENTS",
         "BLOCK_NUMBER", "PERP_TYPE_CODE", "WELLBORE_PROFILE_ID", "PERMITTED_FIELD_ID", "COUNTY_CODE", "PERP_LOC_CODE",
         "WELLBORE_ID", "MEASURE_LINE_TYPE_CODE", *OP4]
COLUMNS.update({"perp": _PERP, "perp_field": _PERP, "perp_wellbore": _PERP})
# Columns written without the stray leading space the real files put before other values.
_NO_SPACE = {"MODIFIED_BY", "LOCKED_BY", *OP4}
_ZONES = ((34.6, "1", 2275), (32.1, "2", 2276), (30.1, "3", 2277), (27.8, "4", 2278), (-90.0, "5", 2279))


@dataclass(frozen=True)
class Application:
    permit: Permit
    filing: Filing
    status_number: str
    udn: str
    submitted: datetime  # UTC
    approved_on: date | None  # None: never approved


def _window_end(submitted: datetime) -> datetime:
    """When the set holding a submission is written (local time, then UTC)."""
    local = submitted.astimezone(RRC_TZ)
    day = local.date()
    if local.time() < time(11):
        at = datetime.combine(day, MORNING, RRC_TZ)
    elif local.time() < time(17):
        at = datetime.combine(day, EVENING, RRC_TZ)
    else:
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        at = datetime.combine(day, MORNING, RRC_TZ)
    return at


def _before(day: date, business_days: int) -> date:
    d = day
    while business_days:
        d -= timedelta(days=1)
        if d.weekday() < 5:
            business_days -= 1
    return d


def applications(u: Universe, p: Permit) -> list[Application]:
    rng = random.Random(f"{u.seed}:{p.index}:pending")
    out = []
    for f in p.filings:
        filed = _before(f.day, rng.choice((1, 2, 2, 2, 3)))
        at = datetime.combine(filed, time(7, 0), RRC_TZ) + timedelta(minutes=rng.randrange(0, 690))
        out.append(Application(p, f, p.status_number, f"{498000000 + p.index * 4 + (99 - f.sequence)}", at, f.day))
    if p.index % 50 == 7:  # a sibling application that is withdrawn, never approved
        f = p.filings[0]
        at = datetime.combine(_before(f.day, 2), time(9, 30), RRC_TZ)
        out.append(Application(p, f, f"{800000 + p.index:07d}", f"{497000000 + p.index}", at, None))
    return out


def sets_for_day(u: Universe, day: date, permits) -> list[tuple[datetime, list[Application]]]:
    """The sets written on `day` (11:08 and 17:08), each with its pending applications."""
    out = []
    for at in (datetime.combine(day, MORNING, RRC_TZ), datetime.combine(day, EVENING, RRC_TZ)):
        apps = [a for p in permits for a in applications(u, p)
                if _window_end(a.submitted) == at and (a.approved_on is None or a.approved_on > day)]
        out.append((at, apps))
    return out


def _row(cols: list[str], values: dict[str, str], spaced: bool = True) -> str:
    # No stray space before the first value, the OP4 block, MODIFIED_BY/LOCKED_BY, or in latlongs.
    return "".join(("" if i == 0 or c in _NO_SPACE or not spaced else " ") + f'"{values.get(c, "")}"}}'
                   for i, c in enumerate(cols))


def _header(cols: list[str], split_at: int | None) -> list[str]:
    text = "}".join(cols)
    if split_at and len(text) > split_at:
        return [text[:split_at], text[split_at:], ""]
    return [text, ""]


def _oracle(t: datetime) -> str:
    local = t.astimezone(RRC_TZ)
    return local.strftime("%d-%b-%y %I.%M.%S.%f %p").upper()


def _dms(v: float) -> tuple[str, str, str]:
    a = abs(v)
    d = int(a)
    m = int((a - d) * 60)
    s = (a - d - m / 60) * 3600
    return str(d if v >= 0 else -d), str(m), f"{s:.2f}"


@lru_cache(maxsize=8)
def _to_plane(epsg: int):
    from pyproj import Transformer

    return Transformer.from_crs(4326, epsg, always_xy=True)


def _location(a: Application, rng: random.Random) -> dict[str, str]:
    lon, lat = a.filing.surface
    form = rng.random()
    if form < 0.4:
        la, lo = _dms(lat), _dms(lon)
        v = {"LATLONG_TYPE_CODE": "1", "LAT_DEGREES": la[0], "LAT_MINUTES": la[1], "LAT_SECONDS": la[2],
             "LONG_DEGREES": lo[0], "LONG_MINUTES": lo[1], "LONG_SECONDS": lo[2]}
    elif form < 0.7:
        v = {"LATLONG_TYPE_CODE": "2", "LAT_DEGREES": f"{lat:.6f}", "LONG_DEGREES": f"{lon:.6f}"}
        if rng.random() < 0.1:
            v["LONG_DEGREES"] = f"{-lon:.6f}"  # a positive longitude, as some rows have
    elif form < 0.92:
        zone, epsg = next((z, e) for floor, z, e in _ZONES if lat >= floor)
        x, y = _to_plane(epsg).transform(lon, lat)
        v = {"LATLONG_TYPE_CODE": "3", "STATE_PLANE_ZONE_CODE": zone, "STATE_PLANE_X": f"{x:.2f}", "STATE_PLANE_Y": f"{y:.2f}"}
    else:
        v = {}
    return {**v, **{f"{k}_S": v[k] for k in ("LAT_DEGREES", "LAT_MINUTES", "LAT_SECONDS", "LONG_DEGREES", "LONG_MINUTES",
                                                "LONG_SECONDS") if k in v}}


def render_set(u: Universe, at: datetime, apps: list[Application]) -> dict[str, list[str]]:
    """The eleven files of one set, as text lines, keyed by file name."""
    stamp = at.strftime("%Y%m%d%H%M%S")
    rows: dict[str, list[str]] = {t: [] for t in COLUMNS}
    for a in apps:
        p, f = a.permit, a.filing
        rng = random.Random(f"{u.seed}:{a.udn}:set")
        county = COUNTIES[p.county]
        op = {"OPERATOR_NAME": u.operator_name(p.operator_index, a.submitted.date()),
              "OPERATOR_NUMBER": u.operator_number(p.operator_index), "OPERATOR_PHONE": "4325550100",
              "DISTRICT": county.district}
        rows["drilling_permit"].append({
            "UNIVERSAL_DOC_NO": a.udn, "STATUS_NUMBER": str(int(a.status_number)), "TOTAL_DEPTH": str(f.total_depth),
            "IS_AMENDMENT": "Y" if f.sequence < 99 else "N", "STATUS_SEQ_NO": str(f.sequence), "EXPEDITE_FLAG": "N",
            "FILING_PURPOSE_CODE": p.purpose, "DEFAULT_LEASE_NAME": f.lease_name + " ", "DEFAULT_WELL_NUMBER": f.well_number,
            "DEFAULT_VERTICAL": "N" if (p.horizontal or p.directional) else "Y", "DEFAULT_HORIZANTAL": "Y" if p.horizontal else "N",
            "DEFAULT_SIDETRACK": "N", "DEFAULT_DIRECTIONAL": "Y" if p.directional else "N", "STATUS_CODE": "P",
            "CURRENT_STATE_CODE": rng.choice(("MAP", "FOP", "TEC", "MAP")), "SUBMIT_DATE": _oracle(a.submitted),
            "CREATE_DATE": _oracle(a.submitted - timedelta(minutes=rng.randrange(5, 300))), **op})
        has_api = p.purpose in ("14", "07", "09", "15")
        api_seq = f"{p.county}{p.index % 100000:05d}" if has_api else ""
        wb = {"UNIVERSAL_DOC_NO": a.udn, "WELLBORE_ID": str(7000000 + p.index), "COUNTY_CODE": p.county,
              "API_SEQUENCE_NUMBER": api_seq, "NEAREST_TOWN": p.city, "NEAREST_TOWN_DISTANCE": str(p.index % 40 + 1),
              "DIRECTIONS": rng.choice(("NORTH", "North", "N", "SW")), **op}
        if not has_api:
            wb.update(_location(a, rng))
        rows["wellbore"].append(wb)
        if has_api:
            rows["latlongs"].append({"API_SEQUENCE_NUMBER": api_seq, "LATITUDE": f"{f.surface[1]:.8f}",
                                     "LONGITUDE": f"{f.surface[0]:.8f}", "LOCATION_TYPE": "SURFACE"})
            bottom = f.bottom or f.surface
            rows["latlongs"].append({"API_SEQUENCE_NUMBER": api_seq, "LATITUDE": f"{bottom[1]:.8f}",
                                     "LONGITUDE": f"{bottom[0]:.8f}", "LOCATION_TYPE": "BOTTOM"})
        pf_id = str(3000000 + p.index)
        rows["permitted_field"].append({"WELL_NUMBER": f.well_number, "UNIVERSAL_DOC_NO": a.udn, "FIELD_ID": p.field_number,
                                        "WELL_TYPE_CODE": p.well_type, "COMPLETION_DEPTH": str(f.total_depth - 100),
                                        "PRIMARY_FIELD_FLAG": "Y", "TOTAL_ACRES": str(p.acres), "REPORTED_LEASE_NAME": f.lease_name,
                                        "PERMITTED_FIELD_ID": pf_id, **op})
        rows["wellbore_profile"].append({"PROFILE_NAME": "TH1" if p.horizontal else "VR1", "WELLBORE_PROFILE_ID": str(5000000 + p.index),
                                         "PROFILE_CODE": "HR" if p.horizontal else "VR", "PERMITTED_FIELD_ID": pf_id, **op})
        rows["swr_resolution"].append({"UNIVERSAL_DOC_NO": a.udn, "SWR_RESLTN_CODE": "PUB", "SWR_RESOLUTION_ID": str(p.index), **op})
    files = {}
    for table, cols in COLUMNS.items():
        split = 750 if table == "drilling_permit" else 720 if table == "permitted_field" else None
        files[f"dp_{table}_pending_{stamp}.txt"] = _header(cols, split) + [_row(cols, r, table != "latlongs") for r in rows[table]]
    return files
