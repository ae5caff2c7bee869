"""QA gates, judged from statistics and trailing runs."""

from services.ingestion.qa import RunStats, evaluate
from services.ingestion.sources.rrc import PermitRecord, parse_lines
from services.settings import QAThresholds
from tests.conftest import sample_lines

QA = QAThresholds()


def _stats(lines) -> RunStats:
    stats = RunStats()
    for item in parse_lines(lines):
        stats.observe(item)
    return stats


def _by_name(checks):
    return {c.name: c for c in checks}


def test_a_real_file_passes_every_gate_against_its_predecessor():
    prev = _stats(sample_lines("2026-07-27")).as_metrics()
    checks = _by_name(evaluate(_stats(sample_lines("2026-07-28")), [prev], QA))
    assert {n: c.status for n, c in checks.items()} == {
        "row_count_delta": "pass", "null_spikes": "pass", "schema_drift": "pass",
        "geometry_validity": "pass", "quarantine": "pass"}
    assert checks["schema_drift"].details["continuation_lines"] == 13


def test_month_rollover_is_not_a_count_drop_but_a_drop_within_a_month_is():
    july = _stats(sample_lines("2026-07-31")).as_metrics()
    august = _stats(sample_lines("2026-08-06"))
    assert _by_name(evaluate(august, [july], QA))["row_count_delta"].details["reason"] == "month rollover"
    half = _stats(sample_lines("2026-07-31")[: len(sample_lines("2026-07-31")) // 3])
    check = _by_name(evaluate(half, [july], QA))["row_count_delta"]
    assert check.status == "fail" and check.details["drop"] > 0.5


def test_empty_file_fails():
    assert _by_name(evaluate(RunStats(), [], QA))["row_count_delta"].status == "fail"


def test_null_spike_in_a_critical_field_fails():
    lines = sample_lines("2026-07-28")
    prev = _stats(lines).as_metrics()
    blanked = [line[:66] + " " * 32 + line[98:] if line.startswith("01") else line for line in lines]
    check = _by_name(evaluate(_stats(blanked), [prev], QA))["null_spikes"]
    assert check.status == "fail" and "operator_name" in check.details["spikes"]


def test_unknown_record_ids_are_schema_drift():
    lines = sample_lines("2026-07-28")
    drifted = [line + "\n16NEW SEGMENT\n" if line.startswith("03") else line for line in lines]
    check = _by_name(evaluate(_stats("".join(drifted).splitlines(keepends=True)), [], QA))["schema_drift"]
    assert check.status == "fail" and check.details["unknown_record_ids"]["16"] > 0


def test_repaired_coordinates_warn_and_many_bad_ones_fail():
    lines = sample_lines("2026-07-28")
    some = list(lines)
    idx = next(i for i, line in enumerate(some) if line.startswith("14"))
    some[idx] = some[idx].replace(": -", ": ")  # one positive longitude
    assert _by_name(evaluate(_stats(some), [], QA))["geometry_validity"].status == "warn"
    flipped = [line.replace(": -", ": ") if line.startswith(("14", "15")) else line for line in lines]
    assert _by_name(evaluate(_stats(flipped), [], QA))["geometry_validity"].status == "fail"


def test_quarantined_records_warn_then_fail():
    lines = sample_lines("2026-07-28")
    records = sum(1 for r in parse_lines(lines) if isinstance(r, PermitRecord))
    broken = [("01XXXXXXX" + line[9:]) if line.startswith("01") and i % 7 == 0 else line for i, line in enumerate(lines)]
    stats = _stats(broken)
    assert 0 < stats.fatal < records
    assert _by_name(evaluate(stats, [], QA))["quarantine"].status == "fail"
