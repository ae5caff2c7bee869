"""PURE: the RRC P-5 organization file (`orf850.txt`), 'A ' organization records.

ASCII, one record per line (CRLF), trailing filler removed so lines run short: every line
is padded to 350 before slicing. Child records (`F`, `H`, `K`, `P`, `U`, `R`, `J`) follow
their root and are counted, not read. Two real records hold an embedded newline: a line
that does not start with a known record id is the rest of the one before and is joined to
it. Bytes are latin-1 (byte-preserving) with NUL read as a space. A root whose operator
number is not six digits, whose name is blank or whose status is unknown is a problem for
quarantine, never a guess."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

RECORD_IDS = frozenset({"1T", "A ", "F ", "H ", "J ", "K ", "P ", "U ", "R "})
WIDTH = 350
STATUS = {"A": "active", "I": "inactive", "D": "delinquent", "S": "see remarks", "X": "X (not in the manual)",
          "H": "H (not in the manual)", "R": "R (not in the manual)"}
ORGANIZATION = {"A": "corporation", "B": "limited partnership", "C": "sole proprietorship", "D": "partnership", "E": "trust",
                "F": "joint venture", "G": "other", "H": "limited liability company", "I": "unknown (legacy)"}


@dataclass(frozen=True)
class P5Record:
    line_no: int
    operator_number: str
    name: str
    status: str
    organization: str | None
    date_inactive: str | None  # YYYY-MM-DD
    last_filed: str | None
    raw: str


@dataclass
class P5Parse:
    records: list[P5Record] = field(default_factory=list)
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # (line, reason, detail, raw)
    children: int = 0
    joined: int = 0


def _cut(line: str, start: int, end: int) -> str:
    """Columns start..end, 1-based and inclusive as the manual numbers them."""
    return line[start - 1:end]


def _date(value: str) -> str | None:
    v = value.strip()
    if not v.isdigit() or len(v) != 8 or not v.strip("0"):
        return None
    return f"{v[:4]}-{v[4:6]}-{v[6:]}"


def logical_lines(raw_lines: Iterable[bytes | str]) -> Iterable[tuple[int, str, bool]]:
    """(first physical line number, text, joined?) with embedded-newline fragments rejoined."""
    pending: tuple[int, str, bool] | None = None
    for n, raw in enumerate(raw_lines, 1):
        text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
        text = text.rstrip("\r\n").replace("\x00", " ")
        if pending is not None and text[:2] not in RECORD_IDS:
            pending = (pending[0], pending[1] + text, True)
            continue
        if pending is not None:
            yield pending
        pending = (n, text, False)
    if pending is not None:
        yield pending


def parse(raw_lines: Iterable[bytes | str]) -> P5Parse:
    out = P5Parse()
    for n, text, joined in logical_lines(raw_lines):
        out.joined += joined
        kind = text[:2]
        if kind != "A ":
            if kind in RECORD_IDS:
                out.children += 1
            elif text.strip():
                out.problems.append((n, "unknown_record_id", f"a line starts with {kind!r}, not a P-5 record id", text))
            continue
        line = text.ljust(WIDTH)
        number, name, status = _cut(line, 3, 8), _cut(line, 9, 40).strip(), _cut(line, 42, 42)
        if not number.isdigit():
            out.problems.append((n, "bad_operator_number", f"operator number {number!r} is not six digits", text))
        elif not name:
            out.problems.append((n, "missing_name", f"operator {number} has no organization name", text))
        elif status not in STATUS:
            out.problems.append((n, "unknown_p5_status", f"operator {number} has P-5 status {status!r}", text))
        else:
            org = _cut(line, 45, 45)
            out.records.append(P5Record(n, number, name, STATUS[status], ORGANIZATION.get(org), _date(_cut(line, 251, 258)),
                                        _date(_cut(line, 295, 302)), text))
    return out


def render(rows: Iterable[tuple[str, str, str, str]]) -> list[str]:
    """'A ' lines for (operator number, name, status code, organization code), as the RRC
    writes them (trailing filler removed): the generator's orf850."""
    out = []
    for number, name, status, org in rows:
        fields = {1: "A ", 3: number.zfill(6), 9: name[:32].ljust(32), 41: "N", 42: status, 45: org}
        fields |= {start: "00000000" for start in (243, 251, 271, 279, 287, 309)} | {295: "20260601"}
        line = [" "] * 334
        for start, value in fields.items():
            line[start - 1:start - 1 + len(value)] = list(value)
        out.append("".join(line).rstrip())
    return out
