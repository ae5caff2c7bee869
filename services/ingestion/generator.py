"""PURE demo and test data generator: daily files in the real `daf420.dat` layout.

A `Universe` is N permits issued over a date range. Each permit's whole life comes from
its own seeded RNG, so any snapshot can be produced by streaming over the permits, in
constant memory, for a few permits or for 1,000,000:

- real counties with their RRC codes and districts, locations clustered in the basins
  that are actually drilled (Delaware, Midland, Eagle Ford, Haynesville, Barnett,
  Anadarko), horizontals with bottom holes a lateral away;
- operators keyed on P-5 numbers, with the RRC's 32-character truncation and spelling
  changes over time (the same number filed under a new spelling);
- amendments (sequence 98, 97 ...) days after the original, in-place changes (spud
  date, well status, a corrected lease name) on later days;
- snapshots that repeat the month to date, with the previous month's complete file on
  the 1st, and coordinates (records 14/15) that come and go between days;
- a sprinkling of malformed input: embedded-newline continuation lines and broken
  01 lines.

The layout positions are the parser's (services.ingestion.sources.rrc), and so are the
code tables, so what this writes is exactly what the parser must read.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from services.reference.counties import COUNTIES
from services.reference.rrc_codes import FILE_CODE_BY_DISTRICT

PointSampler = Callable[[str, random.Random], tuple[float, float]]

# (basin, weight, counties (RRC codes), horizontal share, depth range ft)
BASINS = (
    ("delaware", 30, ("389", "301", "475", "371", "109", "495"), 0.92, (9000, 13500)),
    ("midland", 30, ("329", "317", "227", "173", "461", "383", "003", "135"), 0.90, (8500, 12000)),
    ("eagle_ford", 15, ("255", "123", "177", "283", "311", "127", "479", "013", "297"), 0.88, (7000, 13000)),
    ("haynesville", 8, ("365", "203", "419", "405", "347", "401"), 0.85, (11000, 15000)),
    ("anadarko", 4, ("211", "393", "357", "295", "483"), 0.80, (9000, 14000)),
    ("barnett", 3, ("439", "251", "121", "497", "367"), 0.75, (6500, 9000)),
    ("conventional", 10, ("415", "165", "501", "219", "429", "503", "237", "009", "485", "033", "105", "435"), 0.15, (2500, 9000)),
)
# Filing purpose codes with their observed shares (22,984 real records).
PURPOSES = (("01", 89), ("14", 7), ("09", 2), ("07", 1), ("15", 1))
LEASE_WORDS = ("UNIVERSITY", "STATE", "BLUE JACKET", "RATTLESNAKE", "MESQUITE", "CAPROCK", "BIG SPRING",
               "CHAPARRAL", "PECOS VALLEY", "LONGHORN", "COYOTE", "RED HILLS", "SAND DUNE", "WINDMILL",
               "HACKBERRY", "COTTONWOOD", "DIAMOND", "EAGLE", "BLACKTAIL", "GRAHAM", "MCKENZIE", "HOLT RANCH",
               "SCHARBAUER", "TXL", "SPRABERRY", "WOLFBONE", "BOOTLEG", "KINGFISHER", "SALADO", "MUSTANG")
SURVEYS = ("T&P RR CO", "H&TC RR CO", "PSL", "GC&SF RR CO", "TCRR CO", "UNIVERSITY LANDS", "I&GN RR CO",
           "ALLEN, J", "MILES, T J", "SMITH, W")
CITIES = ("MIDLAND", "ODESSA", "PECOS", "KERMIT", "MENTONE", "BIG SPRING", "STANTON", "CARTHAGE",
          "KARNES CITY", "COTULLA", "TILDEN", "CANADIAN", "DECATUR", "SNYDER", "ANDREWS", "MONAHANS")
# Fictional operators in RRC's spelling habits; a few change spelling over time.
OPERATOR_NAMES = (
    "PERMIAN BASIN RESOURCES OPERATING, LLC", "LONE STAR EXPLORATION & PRODUCTION COMPANY",
    "CAPROCK ENERGY PARTNERS, L.L.C.", "DELAWARE RIVER OPERATING, LTD.", "MUSTANG NATURAL RES. USA, INC.",
    "HIGH PLAINS OIL & GAS CO", "BLUEBONNET PETROLEUM CORP.", "TRINITY MIDSTREAM & UPSTREAM, LP",
    "SABINE HAYNESVILLE OPERATING LLC", "PECOS VALLEY PRODUCTION CO., INC.", "COMANCHE CREEK ENERGY, INC.",
    "RED RIVER RESOURCES O & G CO LP", "GULF COAST EXPLORATION MGMT LLC", "STAKED PLAINS OPERATING, L.P.",
    "CROSS TIMBERS WELL SERVICES,LLC", "LLANO ESTACADO ENERGY CORPORATION", "WOLFCAMP DEVELOPMENT PARTNERS, LLC",
    "EAGLE FORD SHALE HOLDINGS, INC.", "PANHANDLE GRANITE WASH OPERATING CO", "BARNETT NORTH TEXAS ENERGY, L.L.C.",
    "CACTUS FLATS OIL COMPANY", "MARFA BASIN PETROLEUM, LTD", "SPRABERRY TREND OPERATING, LLC",
    "RIO BRAVO ENERGY PARTNERS MGMT LLC", "AUSTIN CHALK RESOURCES, INC.", "WINKLER COUNTY PRODUCTION, LLC",
    "YOAKUM SAN ANDRES OPERATING, LLC", "KARNES TROUGH ENERGY, L.P.", "CENTRAL BASIN PLATFORM OIL CO.",
    "HORSESHOE ATOLL PETROLEUM, INC.",
)
RENAMES = {2: "CAPROCK ENERGY PARTNERS LLC", 7: "TRINITY MIDSTREAM AND UPSTREAM LP", 14: "CROSS TIMBERS WELL SERVICES, LLC"}


@dataclass
class Filing:
    sequence: int
    day: date  # the day it was issued (sequence 99) or amended
    lease_name: str
    well_number: str
    total_depth: int
    surface: tuple[float, float]
    bottom: tuple[float, float] | None


@dataclass
class Permit:
    index: int
    status_number: str
    county: str
    operator_index: int
    purpose: str
    horizontal: bool
    directional: bool
    received: date
    filings: list[Filing]
    spud_day: date | None
    completion_day: date | None
    correction_day: date | None
    has_coordinates: bool
    field_number: str
    well_type: str
    survey: tuple[str, str, str, str]
    city: str
    acres: int
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Universe:
    seed: int
    permits: int
    start: date
    days: int
    sampler: PointSampler
    malformed_rate: float = 0.002

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def operator_number(self, i: int) -> str:
        return f"{(100000 + i * 7919 + self.seed * 31) % 900000 + 100000:06d}"

    def operator_name(self, i: int, on: date) -> str:
        renamed = RENAMES.get(i % len(OPERATOR_NAMES))
        midpoint = self.start + timedelta(days=self.days // 2)
        base = OPERATOR_NAMES[i % len(OPERATOR_NAMES)]
        if i >= len(OPERATOR_NAMES):
            base = f"{base.split(',')[0]} {i // len(OPERATOR_NAMES) + 1}"
        name = renamed if renamed and on >= midpoint and i < len(OPERATOR_NAMES) else base
        return name[:32]  # RRC's width

    def permit(self, index: int) -> Permit:
        rng = random.Random(f"{self.seed}:{index}")
        basin = rng.choices(BASINS, weights=[b[1] for b in BASINS])[0]
        county = rng.choice(basin[2])
        horizontal = rng.random() < basin[3]
        directional = not horizontal and rng.random() < 0.2
        day = _business_day(self.start + timedelta(days=int(rng.random() * self.days)))
        depth = rng.randrange(*basin[4], 10)
        surface = self.sampler(county, rng)
        lease = f"{rng.choice(LEASE_WORDS)} {rng.randrange(1, 60)}-{rng.randrange(1, 40)}{rng.choice(['', ' A', ' B', ' UNIT'])}"
        well = f"{rng.randrange(1, 30)}{rng.choice(['H', 'H', 'AH', 'BH', 'WA', 'LS']) if horizontal else ''}"
        filings = [Filing(99, day, lease, well, depth, surface, _lateral(surface, rng) if horizontal else None)]
        if rng.random() < 0.15:  # amended: a second (rarely third) filing days later
            for seq in (98, 97)[: 1 + (rng.random() < 0.2)]:
                prev = filings[-1]
                amend_day = _business_day(prev.day + timedelta(days=rng.randrange(2, 25)))
                moved = rng.random() < 0.4
                new_surface = self.sampler(county, rng) if moved else prev.surface
                filings.append(Filing(seq, amend_day, prev.lease_name, prev.well_number,
                                      prev.total_depth + rng.choice((0, 0, 250, 500, -250)), new_surface,
                                      _lateral(new_surface, rng) if horizontal else None))
        later = lambda lo, hi: _business_day(day + timedelta(days=rng.randrange(lo, hi)))  # noqa: E731
        return Permit(
            index=index, status_number=f"{900000 + index:07d}", county=county,
            operator_index=min(int(rng.paretovariate(1.2)) - 1, 399), purpose=_weighted(rng, PURPOSES),
            horizontal=horizontal, directional=directional, received=day - timedelta(days=rng.randrange(3, 30)),
            filings=filings,
            spud_day=later(5, 40) if rng.random() < 0.12 else None,
            completion_day=later(20, 60) if rng.random() < 0.05 else None,
            correction_day=later(1, 20) if rng.random() < 0.04 else None,
            has_coordinates=rng.random() < 0.45,
            field_number=f"{rng.randrange(1000, 99999):05d}{rng.randrange(1, 999):03d}",
            well_type=rng.choice("OOOGGB"),
            survey=(str(rng.randrange(1, 48)), rng.choice(["", "A40", "33 T3N", "C-23", "57"]), rng.choice(SURVEYS),
                    str(rng.randrange(10, 2500))),
            city=rng.choice(CITIES), acres=rng.randrange(40, 1300),
        )

    def all_permits(self) -> Iterator[Permit]:
        return (self.permit(i) for i in range(self.permits))

    def snapshot(self, on: date, permits: Iterable[Permit] | None = None) -> Iterator[list[str]]:
        """The file as RRC would publish it on `on`: this month to date, except on the first
        business day, which still holds the previous month complete. Yields each permit
        version's lines. Pass `permits` to reuse permits built for an earlier day."""
        if on == first_business_day(on):
            last = on.replace(day=1) - timedelta(days=1)
            window = (last.replace(day=1), last)
        else:
            window = (on.replace(day=1), on)
        for p in permits if permits is not None else self.all_permits():
            for filing in sorted(p.filings, key=lambda f: -f.sequence):
                if window[0] <= filing.day <= window[1]:
                    yield self._lines(p, filing, on)

    def _lines(self, p: Permit, f: Filing, on: date) -> list[str]:
        rng = random.Random(f"{self.seed}:{p.index}:{f.sequence}:{on.isoformat()}")
        current = f.sequence == min(x.sequence for x in p.filings if x.day <= on)
        lease = f.lease_name
        if p.correction_day and on < p.correction_day and current:
            lease = lease.replace(" ", "  ", 1)[:32]  # a typo RRC later fixes in place
        spud = p.spud_day if p.spud_day and on >= p.spud_day and current else None
        completed = p.completion_day if p.completion_day and on >= p.completion_day and current else None
        op_name = self.operator_name(p.operator_index, on)
        lines = [_root(p, f, lease, self.operator_number(p.operator_index), op_name),
                 _master(p, f, lease, self.operator_number(p.operator_index), spud, completed),
                 _field(p, completed)]
        lines += _restrictions()
        if rng.random() < self.malformed_rate:
            # RRC writes a newline inside remark text as CRLF + 0x85.
            lines.insert(4, "\x85AN APPROVAL FOR DOUBLE ASSIGNMENT OF SURFACE ACREAGE HAS BF0000000000")
        if p.has_coordinates and rng.random() < 0.85:
            style = "2026" if on.year >= 2026 else "2025"
            lines.append(_coord("14", f.surface, style))
            if f.bottom:
                lines.append(_coord("15", f.bottom, style))
        if rng.random() < self.malformed_rate / 4:
            lines[0] = lines[0][:2] + "X" + lines[0][3:]  # a broken status number: quarantined
        return lines


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([t[0] for t in table], weights=[t[1] for t in table])[0]


def _business_day(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _lateral(surface: tuple[float, float], rng: random.Random) -> tuple[float, float]:
    miles = rng.uniform(1.0, 3.0)
    bearing = rng.choice((0, 90, 180, 270)) + rng.uniform(-8, 8)
    dlat = miles / 69.0 * math.cos(math.radians(bearing))
    dlon = miles / (69.0 * math.cos(math.radians(surface[1]))) * math.sin(math.radians(bearing))
    return round(surface[0] + dlon, 7), round(surface[1] + dlat, 7)


class _Line:
    """A 510-byte segment filled at the layout's 1-based positions, trimmed like RRC's."""

    def __init__(self, rec_id: str):
        self.buf = [" "] * 510
        self.put(1, rec_id)

    def put(self, pos: int, value: str, width: int | None = None, right: bool = False) -> _Line:
        text = str(value)
        if width is not None:
            text = text.rjust(width)[:width] if right else text.ljust(width)[:width]
        self.buf[pos - 1 : pos - 1 + len(text)] = list(text)
        return self

    def __str__(self) -> str:
        return "".join(self.buf).rstrip()


def _d(d: date | None) -> str:
    return d.strftime("%Y%m%d") if d else "00000000"


def _root(p: Permit, f: Filing, lease: str, op_no: str, op_name: str) -> str:
    county = COUNTIES[p.county]
    return str(_Line("01").put(3, p.status_number).put(10, f"{f.sequence:02d}").put(12, p.county)
               .put(15, lease, 32).put(47, FILE_CODE_BY_DISTRICT[county.district]).put(49, op_no)
               .put(59, _d(f.day - timedelta(days=7) if f.sequence < 99 else p.received)).put(67, op_name, 32)
               .put(100, "0").put(101, "A").put(102, "NNNNNNNNNNN").put(113, p.status_number)
               .put(120, _d(p.filings[0].day)).put(128, "00000000").put(136, "N")
               .put(157, f.well_number, 6, right=True).put(163, "N").put(164, "000000000000000000")
               .put(182, " ").put(183, "E").put(184, "00000000000000000000000000000"))


def _master(p: Permit, f: Filing, lease: str, op_no: str, spud: date | None, completed: date | None) -> str:
    county = COUNTIES[p.county]
    issue = p.filings[0].day
    section, block, survey, abstract = p.survey
    line = (_Line("02").put(3, p.status_number).put(10, f"{f.sequence:02d}").put(12, p.county).put(15, lease, 32)
            .put(47, FILE_CODE_BY_DISTRICT[county.district]).put(49, f.well_number, 6, right=True)
            .put(55, f"{f.total_depth:05d}").put(60, op_no).put(66, p.purpose)
            .put(98, "000000000000000000000").put(119, "000").put(122, _d(p.received)).put(130, _d(issue))
            .put(138, _d(f.day if f.sequence < 99 else None)).put(146, "00000000").put(154, _d(spud))
            .put(162, "00000000").put(170, "W" if completed else " ").put(171, _d(completed))
            .put(179, _d(issue.replace(year=issue.year + 2) if not (issue.month == 2 and issue.day == 29) else issue + timedelta(days=730)))
            .put(187, "00000000").put(225, "NNNN").put(229, "00000000000000").put(243, "N")
            .put(244, section, 8).put(252, block, 10).put(262, survey, 55).put(317, abstract, 6)
            .put(326, f"{p.acres * 100:08d}").put(334, f"{(p.index % 40 + 1) * 100:06d}").put(340, "NW")
            .put(346, p.city, 13).put(472, "00000000")
            .put(481, "Y" if spud else "N").put(482, "Y" if p.directional else "N").put(483, "N").put(484, "N")
            .put(485, f"{30000000 - int(_d(issue)):08d}").put(494, "Y" if p.horizontal else "N").put(495, "N")
            .put(503, f"{p.county}{p.index % 100000:05d}"))
    return str(line)


def _field(p: Permit, completed: date | None) -> str:
    return str(_Line("03").put(3, p.field_number).put(11, p.well_type).put(14, "N")
               .put(15, "00000000").put(23, _d(completed)).put(31, "NN000000000000000000"))


def _restrictions() -> list[str]:
    text = ("THIS WELL MUST COMPLY TO THE NEW SWR 3.13 REQUIREMENTS CONCERNING THE ",
            "ISOLATION OF ANY POTENTIAL FLOW ZONES AND ZONES WITH CORROSIVE FORMATI")
    return ["060201                                   P0000000000"] + [
        f"08{n:02d}29{t}P0000000000" for n, t in enumerate(text, 1)]


def _coord(rec_id: str, point: tuple[float, float], style: str) -> str:
    lon, lat = point
    if style == "2025":
        return f"{rec_id}{lon:12.7f}{lat:12.7f}"
    return f"{rec_id}: {lon:.7f}  {lat:.7f}"


def first_business_day(d: date) -> date:
    return _business_day(d.replace(day=1))


def business_days(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        if d.weekday() < 5:
            yield d
        d += timedelta(days=1)


def p5_lines(universe: Universe, on: date) -> list[str]:
    """The universe's operators as the RRC's P-5 file lists them on `on` (names as of that
    day, most active, some inactive or delinquent), with what the real file throws at a
    reader: a child record after each root, a record split by an embedded newline, a NUL in
    a number field, and one root whose operator number is blank (for quarantine)."""
    from services.operators.p5 import render

    rng = random.Random(universe.seed * 13 + 5)
    rows = [(universe.operator_number(i), universe.operator_name(i, on), rng.choices("AID", weights=(90, 7, 3))[0],
             rng.choice("AHHB")) for i in range(400)]
    out = []
    for line in render(rows):
        out += [line, "K " + line[2:8] + " " * 32 + "PRESIDENT"]
    out[10] = out[10][:120]  # the embedded newline: the rest of the record comes on the next line
    out.insert(11, render([rows[5]])[0][120:])
    out[20] = out[20][:303] + "\x00\x00\xf4"
    out.append(render([("      ", "NO NUMBER OIL CO", "A", "A")])[0])
    return out
