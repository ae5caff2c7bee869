"""PURE QA gates: statistics gathered while a file streams past, judged against the
trailing runs of the same source.

Gates: row-count delta, null spikes per field, schema drift, geometry validity and
quarantine share. `fail` blocks promotion to the clean layer (raw is kept for audit);
`warn` promotes and says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from services.ingestion.sources.rrc import PermitRecord, SkippedLine

# Fields whose emptiness is watched; a spike in a critical one means the layout moved.
TRACKED_FIELDS = ("lease_name", "operator_number", "operator_name", "county", "district",
                  "api_number", "issued_date", "total_depth", "filing_purpose", "well_number",
                  "surface_location")
CRITICAL_FIELDS = frozenset(TRACKED_FIELDS) - {"surface_location", "well_number", "total_depth"}
GEOMETRY_PROBLEMS = frozenset({"bad_coordinates", "zero_coordinates", "swapped_coordinates",
                               "positive_longitude", "outside_texas"})
DRIFT_PROBLEMS = frozenset({"unknown_record_id", "short_line", "repeated_segment"})
EXPECTED_SKIPS = frozenset({"continuation_line"})


@dataclass
class RunStats:
    records: int = 0
    fatal: int = 0
    located: int = 0
    incremental: bool = False  # each file is its own window (pending sets): counts vary by design
    outside_county: int = 0
    nulls: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    unknown_record_ids: Counter = field(default_factory=Counter)
    drift_records: int = 0
    geometry_records: int = 0
    max_filing_date: str | None = None

    def observe(self, item: PermitRecord | SkippedLine) -> None:
        if isinstance(item, SkippedLine):
            self.skipped[item.reason] += 1
            return
        self.records += 1
        codes = {p.code for p in item.problems}
        self.problems.update(p.code for p in item.problems)
        self.unknown_record_ids.update(item.unknown_record_ids)
        if item.fatal:
            self.fatal += 1
        if codes & DRIFT_PROBLEMS:
            self.drift_records += 1
        if item.fields.get("surface_location") or any(line[:2] in ("14", "15") for line in item.lines):
            self.located += 1
        if codes & GEOMETRY_PROBLEMS:
            self.geometry_records += 1
        f = item.fields
        for name in TRACKED_FIELDS:
            if f.get(name) in (None, "", []):
                self.nulls[name] += 1
        for key in ("issued_date", "amended_date"):
            d = f.get(key)
            if d and (self.max_filing_date is None or d > self.max_filing_date):
                self.max_filing_date = d

    @property
    def content_month(self) -> str | None:
        """The month the file accumulates (it repeats the month to date)."""
        return self.max_filing_date[:7] if self.max_filing_date else None

    def null_rates(self) -> dict[str, float]:
        n = max(self.records, 1)
        return {name: round(self.nulls[name] / n, 4) for name in TRACKED_FIELDS}

    def as_metrics(self) -> dict:
        return {
            "records": self.records, "quarantined": self.fatal, "located": self.located,
            "outside_county": self.outside_county, "content_month": self.content_month,
            "null_rates": self.null_rates(), "problems": dict(self.problems),
            "skipped_lines": dict(self.skipped), "unknown_record_ids": dict(self.unknown_record_ids),
        }


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # pass | warn | fail
    details: dict

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def _grade(value: float, warn: float, fail: float) -> str:
    if value > fail:
        return "fail"
    if value > warn:
        return "warn"
    return "pass"


def evaluate(stats: RunStats, trailing: list[dict], qa) -> list[Check]:
    """`trailing`: metrics of the source's previous promoted runs, newest first.
    `qa`: thresholds (services.settings.QAThresholds)."""
    return [
        _row_count(stats, trailing, qa),
        _null_spikes(stats, trailing[: qa.trailing_runs], qa),
        _schema_drift(stats, qa),
        _geometry(stats, qa),
        _quarantine(stats, qa),
    ]


def _row_count(stats: RunStats, trailing: list[dict], qa) -> Check:
    details = {"records": stats.records, "content_month": stats.content_month}
    if stats.incremental:
        return Check("row_count_delta", "pass", {**details, "reason": "each set is one submission window; its size varies"})
    if stats.records == 0:
        return Check("row_count_delta", "fail", {**details, "reason": "the file holds no permit records"})
    prev = trailing[0] if trailing else None
    if prev is None:
        return Check("row_count_delta", "pass", {**details, "reason": "first run of this source"})
    details["previous_records"] = prev.get("records", 0)
    if prev.get("content_month") != stats.content_month:
        # The file restarts at each month; a smaller file then is expected.
        return Check("row_count_delta", "pass", {**details, "reason": "month rollover"})
    drop = (details["previous_records"] - stats.records) / max(details["previous_records"], 1)
    details["drop"] = round(drop, 4)
    return Check("row_count_delta", _grade(drop, qa.count_drop_warn, qa.count_drop_fail), details)


def _null_spikes(stats: RunStats, trailing: list[dict], qa) -> Check:
    rates = stats.null_rates()
    if not trailing:
        return Check("null_spikes", "pass", {"null_rates": rates, "reason": "no trailing runs; baseline set"})
    spikes, status = {}, "pass"
    for name, rate in rates.items():
        history = [t["null_rates"].get(name, 0.0) for t in trailing if "null_rates" in t]
        baseline = sum(history) / len(history) if history else 0.0
        rise = rate - baseline
        grade = _grade(rise, qa.null_spike_warn, qa.null_spike_fail)
        if grade == "fail" and name not in CRITICAL_FIELDS:
            grade = "warn"  # coverage of these varies by day at the source
        if grade != "pass":
            spikes[name] = {"rate": rate, "baseline": round(baseline, 4), "status": grade}
            status = "fail" if grade == "fail" or status == "fail" else "warn"
    return Check("null_spikes", status, {"spikes": spikes, "null_rates": rates})


def _schema_drift(stats: RunStats, qa) -> Check:
    odd_lines = sum(n for reason, n in stats.skipped.items() if reason not in EXPECTED_SKIPS)
    share = (stats.drift_records + odd_lines) / max(stats.records, 1)
    return Check("schema_drift", _grade(share, qa.drift_warn, qa.drift_fail), {
        "records_with_drift": stats.drift_records, "unrecognised_lines": odd_lines,
        "unknown_record_ids": dict(stats.unknown_record_ids),
        "continuation_lines": stats.skipped.get("continuation_line", 0), "share": round(share, 4)})


def _geometry(stats: RunStats, qa) -> Check:
    bad = stats.geometry_records + stats.outside_county
    share = bad / max(stats.located, 1)
    return Check("geometry_validity", _grade(share, qa.geometry_warn, qa.geometry_fail), {
        "located": stats.located, "repaired_or_rejected": stats.geometry_records,
        "outside_stated_county": stats.outside_county,
        "problems": {k: v for k, v in stats.problems.items() if k in GEOMETRY_PROBLEMS}, "share": round(share, 4)})


def _quarantine(stats: RunStats, qa) -> Check:
    share = stats.fatal / max(stats.records, 1)
    return Check("quarantine", _grade(share, 0.0, qa.quarantine_fail),
                 {"quarantined": stats.fatal, "share": round(share, 4)})
