"""PURE parser for the RRC's "Drilling Permits Pending Approval" file set.

A set is eleven `}`-delimited tables sharing one generation stamp
(`dp_<table>_pending_yyyymmddhhmmss.txt`), joined by the universal document number
(the application), the wellbore id, the permitted-field and wellbore-profile ids, and the
API sequence number for the lat/long rows (shared/rrc/more.md section 2). Quirks handled:
a header split over two physical lines and followed by a blank line, values quoted with a
stray leading space, columns added and reordered over time (columns are mapped by header
name, never by position), older unquoted files, positive longitudes, duplicate rows, and
`.txt` names that hold a ZIP (unwrapped before this module sees text).

Each application becomes a `PermitRecord` keyed like the daily file (status number,
sequence 99 = original, 98 = first amendment ...) with the same field names, so the
pipeline's raw layer, QA gates, quarantine and versioning apply unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from services.ingestion.sources.rrc import TX_LAT, TX_LON, PermitRecord, Problem, SkippedLine
from services.reference.counties import county_by_code
from services.reference.rrc_codes import APPLICATION_STATUS, FILING_PURPOSES, wellbore_profile

SOURCE = "rrc_pending"
RRC_TZ = ZoneInfo("America/Chicago")
TABLES = ("drilling_permit", "wellbore", "latlongs", "permitted_field", "wellbore_profile", "permit_restriction",
          "swr_resolution", "mailing_address", "perp", "perp_field", "perp_wellbore")
_NAME = re.compile(r"dp_([a-z_]+?)_pending(?:_(\d{14}))?(?:\.\w+)?$", re.I)
PURPOSES = {**FILING_PURPOSES, "16": "Amended as Drilled BHL", "99": "Unknown"}
QUEUE_STATES = {
    "APP": "approved", "ABT": "aborted", "REF": "rejected", "WIP": "work in progress", "FOP": "field operations",
    "MPC": "mapping correction", "MPR": "mapping review", "HEA": "hearing", "LEG": "legal exam", "TEC": "technical exam",
    "DOC": "docket services", "SWR": "SWR hold", "NOA": "notice of application", "PSA": "public sales",
    "ENG": "engineering", "DP_": "drilling permit", "MAP": "mapping", "API": "API verification", "CAN": "cancelled",
    "MCA": "mapping correction cancelled", "MRS": "mapping correction restored", "MRJ": "mapping correction rejected",
    "MRI": "mapping correction reinstated", "WIT": "withdrawn",
}
# Texas State Plane zones as the wellbore rows number them (NAD83, US survey feet).
STATE_PLANE_EPSG = {"1": 2275, "2": 2276, "3": 2277, "4": 2278, "5": 2279}
STATE_PLANE_NAMES = {"1": "North", "2": "North Central", "3": "Central", "4": "South Central", "5": "South"}


def table_of(filename: str) -> tuple[str, str | None] | None:
    """`dp_wellbore_pending_20251210110806.txt` -> ("wellbore", "20251210110806")."""
    m = _NAME.search(filename.rsplit("/", 1)[-1])
    if not m:
        return None
    name = m.group(1).lower()
    name = "latlongs" if name == "latlong" else name
    return (name, m.group(2)) if name in TABLES else None


@dataclass
class Table:
    name: str
    header: list[str]
    rows: list[tuple[int, dict[str, str], str]]  # (line number, values by column, raw line)
    skipped: list[SkippedLine] = field(default_factory=list)


def _split(line: str) -> list[str]:
    parts = line.split("}")
    if parts and parts[-1].strip() == "":
        parts = parts[:-1]  # data rows end with a trailing delimiter
    out = []
    for p in parts:
        v = p.strip()
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]  # one pair of quotes; inner padding is kept ("A  2H ")
        out.append(v)
    return out


_HEADER_TOKEN = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _looks_like_header(line: str) -> bool:
    """Column names (or a fragment of one, where the header line was split), unquoted."""
    tokens = [t.strip() for t in line.split("}") if t.strip()]
    return bool(tokens) and all(_HEADER_TOKEN.match(t) for t in tokens)


def read_table(name: str, lines: Iterable[str]) -> Table:
    """Header (possibly split over physical lines) then rows, mapped by header name."""
    header_parts: list[str] = []
    table = Table(name, [], [])
    in_header = True
    for line_no, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if in_header:
            if not line.strip():
                in_header = not header_parts  # the blank line after the header ends it
                continue
            if _looks_like_header(line):
                header_parts.append(line)
                continue
            in_header = False
        if not line.strip():
            continue
        if not table.header:
            table.header = [h.strip().upper() for h in "".join(header_parts).split("}") if h.strip()]
        values = _split(line)
        if len(values) != len(table.header):
            table.skipped.append(SkippedLine(line_no, line, f"{name}: {len(values)} values for {len(table.header)} columns"))
            continue
        table.rows.append((line_no, dict(zip(table.header, values, strict=True)), line))
    if not table.header and header_parts:
        table.header = [h.strip().upper() for h in "".join(header_parts).split("}") if h.strip()]
    return table


def _oracle_time(text: str) -> datetime | None:
    """`09-DEC-25 08.54.53.814000 PM` (Central) as UTC."""
    text = text.strip()
    for fmt in ("%d-%b-%y %I.%M.%S.%f %p", "%d-%b-%y %I.%M.%S %p", "%d-%b-%y"):
        try:
            return datetime.strptime(text.title(), fmt).replace(tzinfo=RRC_TZ).astimezone(UTC)
        except ValueError:
            continue
    return None


def _day(text: str) -> date | None:
    t = _oracle_time(text)
    return t.astimezone(RRC_TZ).date() if t else None


def _float(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _state_plane(zone: str):
    from pyproj import Transformer

    return Transformer.from_crs(STATE_PLANE_EPSG[zone], 4326, always_xy=True)


def _west(lon: float) -> float:
    return -lon if lon > 0 else lon  # Texas is west of Greenwich; some rows drop the sign


def wellbore_point(w: Mapping[str, str], suffix: str = "") -> tuple[dict | None, str | None, str | None]:
    """A wellbore row's location in one of its three forms: (point, how it was given, problem)."""
    deg, mins, secs = (_float(w.get(f"LAT_{k}{suffix}", "")) for k in ("DEGREES", "MINUTES", "SECONDS"))
    ldeg, lmins, lsecs = (_float(w.get(f"LONG_{k}{suffix}", "")) for k in ("DEGREES", "MINUTES", "SECONDS"))
    if deg is not None and ldeg is not None:
        if mins is None and secs is None and lmins is None and lsecs is None:
            return {"lat": deg, "lon": _west(ldeg)}, "decimal degrees", None
        lat = abs(deg) + (mins or 0) / 60 + (secs or 0) / 3600
        lon = abs(ldeg) + (lmins or 0) / 60 + (lsecs or 0) / 3600
        return {"lat": round(lat, 7), "lon": -round(lon, 7)}, "degrees, minutes, seconds", None
    zone, x, y = (w.get("STATE_PLANE_ZONE_CODE") or "").strip().lstrip("0"), _float(w.get("STATE_PLANE_X", "")), \
        _float(w.get("STATE_PLANE_Y", ""))
    if zone and x is not None and y is not None:
        if zone not in STATE_PLANE_EPSG:
            return None, None, f"state plane zone {zone!r} is not a Texas zone"
        lon, lat = _state_plane(zone).transform(x, y)
        return ({"lat": round(lat, 7), "lon": round(lon, 7)},
                f"Texas State Plane {STATE_PLANE_NAMES[zone]} (NAD83, US feet), converted", None)
    return None, None, None


def _in_texas(p: dict | None) -> bool:
    return p is not None and TX_LON[0] <= p["lon"] <= TX_LON[1] and TX_LAT[0] <= p["lat"] <= TX_LAT[1]


def _api(seq: str) -> str | None:
    seq = seq.strip()
    return f"42-{seq[:3]}-{seq[3:]}" if len(seq) == 8 and seq.isdigit() else None


def parse_set(tables: Mapping[str, Iterable[str]]) -> Iterator[PermitRecord | SkippedLine]:
    """One pending set (table name -> its lines) -> one record per application."""
    read = {name: read_table(name, lines) for name, lines in tables.items()}
    for t in read.values():
        yield from t.skipped
    permits = read.get("drilling_permit")
    if permits is None:
        yield SkippedLine(0, "", "the set has no dp_drilling_permit_pending file")
        return
    by_udn: dict[str, dict[str, list]] = {}
    for name in ("wellbore", "permitted_field", "permit_restriction", "swr_resolution"):
        for line_no, row, raw in read[name].rows if name in read else []:
            by_udn.setdefault(row.get("UNIVERSAL_DOC_NO", ""), {}).setdefault(name, []).append((line_no, row, raw))
    latlongs: dict[str, dict[str, dict]] = {}
    for _, row, _raw in read["latlongs"].rows if "latlongs" in read else []:
        lat, lon = _float(row.get("LATITUDE", "")), _float(row.get("LONGITUDE", ""))
        if lat is not None and lon is not None:  # duplicates collapse on (API, type)
            latlongs.setdefault(row.get("API_SEQUENCE_NUMBER", ""), {})[row.get("LOCATION_TYPE", "").upper()] = \
                {"lat": lat, "lon": _west(lon)}
    profiles: dict[str, list[dict]] = {}
    for _, row, _raw in read["wellbore_profile"].rows if "wellbore_profile" in read else []:
        profiles.setdefault(row.get("PERMITTED_FIELD_ID", ""), []).append(row)
    seen: set[tuple[str, str]] = set()
    for line_no, row, raw in permits.rows:
        key = (row.get("UNIVERSAL_DOC_NO", ""), row.get("STATUS_SEQ_NO", ""))
        if key in seen:
            continue  # a duplicated row
        seen.add(key)
        yield _application(line_no, row, raw, by_udn.get(row.get("UNIVERSAL_DOC_NO", ""), {}), latlongs, profiles)


def _application(line_no: int, row: dict, raw: str, related: dict, latlongs: dict, profiles: dict) -> PermitRecord:
    rec = PermitRecord(line_no=line_no, lines=[f"drilling_permit:{raw}"])
    for name in ("wellbore", "permitted_field", "permit_restriction", "swr_resolution"):
        rec.lines += [f"{name}:{r}" for _, _, r in related.get(name, [])]
    number = row.get("STATUS_NUMBER", "").strip()
    seq = row.get("STATUS_SEQ_NO", "").strip()
    if not number.isdigit():
        rec.problems.append(Problem("bad_status_number", f"status number {number!r} is not a number", line_no, fatal=True))
    else:
        rec.status_number = f"{int(number):07d}"
    if not seq.isdigit():
        rec.problems.append(Problem("bad_sequence", f"status sequence {seq!r} is not a number", line_no, fatal=True))
    else:
        rec.sequence = int(seq)
    f = rec.fields
    submitted = _oracle_time(row.get("SUBMIT_DATE", ""))
    f["universal_doc_no"] = row.get("UNIVERSAL_DOC_NO") or None
    f["submitted_at"] = submitted.isoformat() if submitted else None
    f["received_date"] = submitted.astimezone(RRC_TZ).date() if submitted else None
    if submitted is None:
        rec.problems.append(Problem("bad_date", f"submit date {row.get('SUBMIT_DATE')!r} is not understood", line_no))
    code = row.get("STATUS_CODE", "").strip()
    f["application_status"] = APPLICATION_STATUS.get(code, code.lower() or None)
    f["queue"] = QUEUE_STATES.get(row.get("CURRENT_STATE_CODE", "").strip(), row.get("CURRENT_STATE_CODE") or None)
    f["operator_number"] = (row.get("OPERATOR_NUMBER") or "").strip().zfill(6) or None
    f["operator_name"] = " ".join((row.get("OPERATOR_NAME") or "").split()) or None
    f["district"] = (row.get("DISTRICT") or "").strip().upper() or None
    f["lease_name"] = " ".join((row.get("DEFAULT_LEASE_NAME") or "").split()) or None
    f["well_number"] = (row.get("DEFAULT_WELL_NUMBER") or "").strip() or None
    depth = (row.get("TOTAL_DEPTH") or "").strip()
    f["total_depth"] = int(float(depth)) if depth.replace(".", "", 1).isdigit() else None
    purpose = (row.get("FILING_PURPOSE_CODE") or "").strip()
    f["filing_purpose_code"] = purpose or None
    f["filing_purpose"] = PURPOSES.get(purpose)
    f["wellbore_profile"] = wellbore_profile(horizontal=row.get("DEFAULT_HORIZANTAL", row.get("DEFAULT_HORIZONTAL")) == "Y",
                                             directional=row.get("DEFAULT_DIRECTIONAL") == "Y", sidetrack=row.get("DEFAULT_SIDETRACK") == "Y")
    f["expedited"] = row.get("EXPEDITE_FLAG") == "Y"
    f["amendment"] = row.get("IS_AMENDMENT") == "Y"
    f["restrictions"] = [r.get("RESTRICTION_TEXT") for _, r, _ in related.get("permit_restriction", []) if r.get("RESTRICTION_TEXT")]
    f["fields"] = [{"field_number": r.get("FIELD_ID") or None, "well_type": r.get("WELL_TYPE_CODE") or None,
                    "completion_depth": r.get("COMPLETION_DEPTH") or None, "reported_lease": r.get("REPORTED_LEASE_NAME") or None,
                    "profiles": [p.get("PROFILE_CODE") for p in profiles.get(r.get("PERMITTED_FIELD_ID", ""), [])]}
                   for _, r, _ in related.get("permitted_field", [])]
    _locate(rec, related.get("wellbore", []), latlongs)
    return rec


def _locate(rec: PermitRecord, wellbores: list, latlongs: dict) -> None:
    """Surface and bottom holes: the lat/long file for wellbores that already have an API
    number, else the wellbore row in whichever form it came; where each came from is kept."""
    f = rec.fields
    f["surface_location"], f["bottom_hole_locations"], f["location_source"] = None, [], None
    f["api_number"] = None
    for line_no, w, _ in wellbores:
        county = county_by_code((w.get("COUNTY_CODE") or "").strip().zfill(3)) if (w.get("COUNTY_CODE") or "").strip() else None
        if county and not f.get("county_code"):
            f["county_code"], f["county"] = county.code, county.name
        seq = (w.get("API_SEQUENCE_NUMBER") or "").strip()
        f["api_number"] = f["api_number"] or _api(seq)
        ll = latlongs.get(seq, {})
        point, how, problem = (ll.get("SURFACE"), "RRC pending lat/long file", None) if ll.get("SURFACE") else wellbore_point(w)
        if problem:
            rec.problems.append(Problem("bad_coordinates", problem, line_no))
        if point is not None and not _in_texas(point):
            rec.problems.append(Problem("outside_texas", f"surface location {point} is outside Texas; not used", line_no))
            point = None
        if point is not None and f["surface_location"] is None:
            f["surface_location"], f["location_source"] = point, f"pending filing: {how}"
        bottom = ll.get("BOTTOM")
        if bottom and _in_texas(bottom):
            f["bottom_hole_locations"].append(bottom)
    f.setdefault("county_code", None)
    f.setdefault("county", None)
    if not f["bottom_hole_locations"]:
        f["bottom_hole_locations"] = None


class PendingSet:
    """The adapter the pipeline uses: a set arrives as a ZIP (or a folder) of its tables."""
    name = SOURCE
    description = "RRC Drilling Permits Pending Approval (dp_*_pending_* file set, twice a day)"
    incremental = True  # each set is one submission window: counts vary by design
