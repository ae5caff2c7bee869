"""PURE parser for the RRC Drilling Permit Master + Trailer daily file (`daf420.dat`).

Layout: RRC publication OGA049M, positions as verified against real daily files (see
shared/rrc/README.md section 2). One permit *version* is a run of lines that starts at a
`01` line; `(status number, sequence)` identifies it. The file trims trailing blanks from
its 510-byte segments, so a field past a line's end reads as empty.

This module does no I/O: it turns an iterable of text lines into `PermitRecord`s and
`SkippedLine`s. Problems are collected per record instead of raised, so one broken
record never stops a file. A record is `fatal` (quarantined, not promoted) only when it
cannot be identified or lacks its permit master segment.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from services.reference.counties import county_by_code
from services.reference.rrc_codes import (
    APPLICATION_STATUS,
    CANCELLED_FLAG,
    DISTRICT_BY_FILE_CODE,
    FILING_PURPOSES,
    KNOWN_RECORD_IDS,
    WELL_STATUS,
    WELL_TYPES,
    wellbore_profile,
)

SOURCE = "rrc_daf420"

# Texas bounding box with a small margin; the county-polygon check runs later in PostGIS.
TX_LON = (-106.70, -93.45)
TX_LAT = (25.80, 36.55)

# Minimum lengths below which a segment cannot hold its key fields.
_MIN_LEN = {"01": 120, "02": 150, "14": 8, "15": 8}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


@dataclass(slots=True)
class Problem:
    code: str
    message: str
    line_no: int | None = None
    fatal: bool = False

    def as_dict(self) -> dict:
        d = {"code": self.code, "message": self.message}
        if self.line_no is not None:
            d["line"] = self.line_no
        return d


@dataclass(slots=True)
class PermitRecord:
    """One permit version as it appears in the file."""

    line_no: int
    lines: list[str]
    status_number: str | None = None
    sequence: int | None = None
    fields: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unknown_record_ids: set[str] = field(default_factory=set)

    @property
    def source_record_id(self) -> str:
        seq = f"{self.sequence:02d}" if self.sequence is not None else "??"
        return f"{self.status_number or 'unknown'}-{seq}"

    @property
    def fatal(self) -> bool:
        return any(p.fatal for p in self.problems)

    @property
    def raw_hash(self) -> str:
        return hashlib.sha256("\n".join(self.lines).encode("latin-1", "replace")).hexdigest()


@dataclass(slots=True)
class SkippedLine:
    """A physical line that belongs to no record: an embedded-newline continuation
    (starts with 0x85), or text before the first 01 line."""

    line_no: int
    text: str
    reason: str
    status_number: str | None = None


def parse_lines(lines: Iterable[str]) -> Iterator[PermitRecord | SkippedLine]:
    """Group lines into permit versions and decode them. Lines may keep their newline."""
    current: PermitRecord | None = None
    for line_no, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        # Not str.strip(): it counts 0x85 (NEL) as blank, and a lone 0x85 is a
        # continuation line that must be recorded, not dropped.
        if not line.strip(" \t\f\v"):
            continue
        rec_id = line[:2]
        if rec_id == "01":
            if current is not None:
                yield _finish(current)
            current = PermitRecord(line_no=line_no, lines=[line])
            continue
        if not (rec_id.isdigit() and len(rec_id) == 2):
            # RRC writes a newline inside remarks as CRLF + 0x85: the rest of the remark
            # lands on its own line with no record id.
            reason = "continuation_line" if line.startswith("\x85") else "unrecognised_line"
            yield SkippedLine(line_no, line, reason, current and _status_of(current))
            if current is not None:
                current.lines.append(line)
            continue
        if current is None:
            yield SkippedLine(line_no, line, "segment_before_first_01")
            continue
        current.lines.append(line)
    if current is not None:
        yield _finish(current)


def _status_of(rec: PermitRecord) -> str | None:
    s = rec.lines[0][2:9]
    return s if s.isdigit() else None


def _finish(rec: PermitRecord) -> PermitRecord:
    segments: dict[str, list[tuple[int, str]]] = {}
    for offset, line in enumerate(rec.lines):
        rid = line[:2]
        if not rid.isdigit():
            continue
        if rid not in KNOWN_RECORD_IDS:
            rec.unknown_record_ids.add(rid)
            rec.problems.append(Problem("unknown_record_id", f"record id {rid!r} is not in the layout", rec.line_no + offset))
            continue
        segments.setdefault(rid, []).append((rec.line_no + offset, line))
    _decode_root(rec, segments["01"][0])
    if "02" in segments:
        _decode_permit(rec, segments["02"][0])
        if len(segments["02"]) > 1:
            rec.problems.append(Problem("repeated_segment", "more than one 02 segment; the first was used"))
    elif rec.status_number is not None:
        rec.problems.append(Problem("missing_segment", "no 02 (permit master) segment", rec.line_no, fatal=True))
    rec.fields["fields"] = [_decode_field(line) for _, line in segments.get("03", [])]
    _decode_coordinates(rec, segments)
    return rec


def _spec(*fields: tuple[str, int, int]) -> tuple[tuple[str, int, int], ...]:
    """(name, 1-based position, length) as in the layout tables -> slice bounds."""
    return tuple((name, pos - 1, pos - 1 + length) for name, pos, length in fields)


def _cut(line: str, spec: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    # One comprehension per segment: this runs for every record of million-permit files.
    return {name: line[a:b].strip() for name, a, b in spec}


def _slice(line: str, pos: int, length: int) -> str:
    """1-based position, as in the layout tables."""
    return line[pos - 1 : pos - 1 + length].strip()


_ROOT = _spec(("status", 3, 7), ("seq", 10, 2), ("county_code", 12, 3), ("lease_name", 15, 32), ("district", 47, 2),
              ("operator_number", 49, 6), ("received", 59, 8), ("status_flag", 101, 1), ("permit_number", 113, 7),
              ("issue", 120, 8), ("withdrawn", 128, 8), ("well_number", 157, 6), ("channel", 183, 1))
_PERMIT_DATES = ("issued_date", "amended_date", "extended_date", "spud_date", "surface_casing_date",
                 "well_status_date", "expiration_date", "cancelled_date")
_PERMIT = _spec(("status", 3, 7), ("district", 47, 2), ("depth", 55, 5), ("purpose", 66, 2),
                ("issued_date", 130, 8), ("amended_date", 138, 8), ("extended_date", 146, 8), ("spud_date", 154, 8),
                ("surface_casing_date", 162, 8), ("well_status", 170, 1), ("well_status_date", 171, 8),
                ("expiration_date", 179, 8), ("cancelled_date", 187, 8), ("cancellation_reason", 195, 30),
                ("rule37", 229, 7), ("rule38", 236, 7), ("location_format", 243, 1), ("section", 244, 8),
                ("block", 252, 10), ("abstract", 317, 6), ("acres", 326, 8), ("miles", 334, 6), ("direction", 340, 6),
                ("city", 346, 13), ("cancelled", 480, 1), ("directional", 482, 1), ("sidetrack", 483, 1),
                ("horizontal", 494, 1), ("api", 503, 8))


def _date(value: str, name: str, rec: PermitRecord, line_no: int) -> str | None:
    if not value or not value.strip("0 "):
        return None  # 00000000 means "no date"
    try:
        if len(value) != 8:
            raise ValueError(value)
        d = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        if not 1900 <= d.year <= 2100:
            raise ValueError(value)
    except ValueError:
        rec.problems.append(Problem("bad_date", f"{name}: {value!r} is not a date", line_no))
        return None
    return d.isoformat()


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _decode_root(rec: PermitRecord, seg: tuple[int, str]) -> None:
    line_no, line = seg
    if len(line) < _MIN_LEN["01"]:
        rec.problems.append(Problem("short_line", f"01 segment is {len(line)} characters", line_no))
    v = _cut(line, _ROOT)
    status, seq = v["status"], v["seq"]
    if not (status.isdigit() and len(status) == 7):
        rec.problems.append(Problem("bad_status_number", f"status number {status!r} is not 7 digits", line_no, fatal=True))
    else:
        rec.status_number = status
    if not (seq.isdigit() and len(seq) == 2):
        rec.problems.append(Problem("bad_sequence", f"sequence {seq!r} is not 2 digits", line_no, fatal=True))
    else:
        rec.sequence = int(seq)
    f = rec.fields
    county_code = v["county_code"]
    county = county_by_code(county_code)
    if county is None:
        rec.problems.append(Problem("unknown_county", f"county code {county_code!r} is unknown", line_no))
    f["county_code"] = county_code or None
    f["county"] = county.name if county else None
    f["lease_name"] = v["lease_name"] or None
    f["district"] = DISTRICT_BY_FILE_CODE.get(v["district"])
    if v["district"] and f["district"] is None:
        rec.problems.append(Problem("unknown_district", f"district code {v['district']!r} is unknown", line_no))
    f["operator_number"] = v["operator_number"] or None
    f["received_date"] = _date(v["received"], "received date", rec, line_no)
    name = line[66:98]
    f["operator_name"] = " ".join(name.split()) or None
    # RRC cuts names at 32 characters; a name that fills 31+ may have lost a suffix.
    f["operator_name_truncated"] = len(name.rstrip()) >= 31
    flag = v["status_flag"]
    f["application_status"] = APPLICATION_STATUS.get(flag, flag or None)
    f["permit_number"] = v["permit_number"] or None
    f["issue_date"] = _date(v["issue"], "issue date", rec, line_no)
    f["withdrawn_date"] = _date(v["withdrawn"], "withdrawn date", rec, line_no)
    f["well_number"] = v["well_number"] or None
    f["filing_channel"] = {"E": "electronic", "X": "expedited"}.get(v["channel"])
    if county and f["district"] is None and county.district:
        f["district"] = county.district


def _decode_permit(rec: PermitRecord, seg: tuple[int, str]) -> None:
    line_no, line = seg
    if len(line) < _MIN_LEN["02"]:
        rec.problems.append(Problem("short_line", f"02 segment is {len(line)} characters", line_no))
    v = _cut(line, _PERMIT)
    f = rec.fields
    if rec.status_number and v["status"] != rec.status_number:
        rec.problems.append(Problem("segment_mismatch", "02 segment belongs to another status number", line_no, fatal=True))
    f["total_depth"] = _int(v["depth"])
    purpose = v["purpose"]
    f["filing_purpose_code"] = purpose or None
    f["filing_purpose"] = FILING_PURPOSES.get(purpose)
    if purpose and f["filing_purpose"] is None:
        rec.problems.append(Problem("unknown_filing_purpose", f"filing purpose {purpose!r} is unknown", line_no))
    f["field_district"] = DISTRICT_BY_FILE_CODE.get(v["district"])
    for name in _PERMIT_DATES:
        f[name] = _date(v[name], name.replace("_", " "), rec, line_no)
    ws = v["well_status"]
    f["well_status"] = WELL_STATUS.get(ws, ws or None)
    f["cancellation_reason"] = v["cancellation_reason"] or None
    f["rule37_case"] = _nonzero(v["rule37"])
    f["rule38_docket"] = _nonzero(v["rule38"])
    if v["location_format"] == "O":
        f["surface_legal"] = {"text": " ".join(line[243:295].split()) or None}
    else:
        f["surface_legal"] = {"section": v["section"] or None, "block": v["block"] or None,
                              "survey": " ".join(line[261:316].split()) or None, "abstract": v["abstract"] or None}
    f["acres"] = _decimal(v["acres"], 2)
    f["miles_from_city"] = _decimal(v["miles"], 2)
    f["direction_from_city"] = v["direction"] or None
    f["nearest_city"] = v["city"] or None
    f["cancelled"] = CANCELLED_FLAG.get(v["cancelled"])
    f["wellbore_profile"] = wellbore_profile(horizontal=v["horizontal"] == "Y", directional=v["directional"] == "Y",
                                             sidetrack=v["sidetrack"] == "Y")
    api = v["api"]
    f["api_number"] = f"42-{api[:3]}-{api[3:]}" if len(api) == 8 and api.isdigit() else None
    if api and f["api_number"] is None:
        rec.problems.append(Problem("bad_api_number", f"API number {api!r} is not 8 digits", line_no))


def _nonzero(value: str) -> str | None:
    return value if value and value.strip("0") else None


def _decimal(value: str, places: int) -> float | None:
    if not value.isdigit() or not value.strip("0"):
        return None
    return int(value) / 10**places


def _decode_field(line: str) -> dict:
    well_type = _slice(line, 11, 1)
    return {
        "field_number": _slice(line, 3, 8) or None,
        "well_type": WELL_TYPES.get(well_type, well_type or None),
        "completion_date": _nonzero(_slice(line, 23, 8)),
    }


def _decode_coordinates(rec: PermitRecord, segments: dict[str, list[tuple[int, str]]]) -> None:
    surface = [p for p in (_point(rec, ln, line) for ln, line in segments.get("14", [])) if p]
    bottom = [p for p in (_point(rec, ln, line) for ln, line in segments.get("15", [])) if p]
    rec.fields["surface_location"] = {"lon": surface[0][0], "lat": surface[0][1]} if surface else None
    rec.fields["bottom_hole_locations"] = [{"lon": lon, "lat": lat} for lon, lat in bottom]


def _point(rec: PermitRecord, line_no: int, line: str) -> tuple[float, float] | None:
    """Parse a 14/15 line in any spacing: `14-103.0123038  32.3355403` (2025 style) or
    `14: -102.2123389  32.4347917` (2026 style). Longitude first."""
    nums = _NUMBER.findall(line[2:].replace(":", " "))
    what = "surface" if line.startswith("14") else "bottom-hole"
    if len(nums) != 2:
        rec.problems.append(Problem("bad_coordinates", f"{what} location {line[2:].strip()!r} is not 'lon lat'", line_no))
        return None
    a, b = float(nums[0]), float(nums[1])
    if a == 0 or b == 0:
        rec.problems.append(Problem("zero_coordinates", f"{what} location has a zero coordinate", line_no))
        return None
    # Known source faults, tried in order: as written, longitude stored positive (RRC's
    # EBCDIC and pending files do this), latitude and longitude swapped, or both.
    for lon, lat, fault in ((a, b, None), (-a, b, "positive_longitude"),
                            (b, a, "swapped_coordinates"), (-b, a, "swapped_coordinates")):
        if _in_texas(lon, lat):
            if fault:
                rec.problems.append(Problem(fault, f"{what} location {a}, {b} repaired to {lon}, {lat}", line_no))
            return lon, lat
    rec.problems.append(Problem("outside_texas", f"{what} location {a}, {b} is outside Texas", line_no))
    return None


def _in_texas(lon: float, lat: float) -> bool:
    return TX_LON[0] <= lon <= TX_LON[1] and TX_LAT[0] <= lat <= TX_LAT[1]
