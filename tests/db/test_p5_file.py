"""The P-5 organization file: its quirks parsed (short lines, an embedded newline, NUL bytes,
child records), a malformed root quarantined, every root kept raw, and the official name and
status set on the operators the permits made."""

import gzip
from datetime import UTC, date, datetime

from services.ingestion import backfill, p5_load
from services.ingestion.demo import write_demo
from services.ingestion.generator import Universe, p5_lines
from services.operators import p5
from services.reference.sampling import CountySampler

SEED, START = 4, date(2026, 6, 1)


def _permits_then_p5(settings, tmp_path, days: int, name: str) -> tuple[Universe, object]:
    """Some days of generated permits loaded (their operators exist), and the P-5 file for
    the same universe written as `name`."""
    universe = Universe(SEED, 300, START, 20, CountySampler(SEED).sample)
    folder = tmp_path / "demo"
    write_demo(folder, seed=SEED, permits=300, start=START, days=20)
    files, _ = backfill.plan(folder)
    backfill.run(settings, files[:days], source="rrc_daf420")
    text = "".join(line + "\r\n" for line in p5_lines(universe, START)).encode("latin-1")
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    return universe, path


def test_the_parser_joins_a_split_record_reads_nul_as_space_and_quarantines_a_root_without_a_number():
    lines = p5_lines(Universe(SEED, 300, START, 20, CountySampler(SEED).sample), START)
    parsed = p5.parse(line.encode("latin-1") + b"\r\n" for line in lines)
    assert len(parsed.records) == 400 and parsed.children == 400 and parsed.joined == 1
    assert [(reason, text[2:8]) for _, reason, _, text in parsed.problems] == [("bad_operator_number", "      ")]
    split = parsed.records[5]
    assert len(split.raw) > 200 and split.last_filed == "2026-06-01"  # both halves of the split record, read as one
    assert "\x00" not in parsed.records[10].raw
    assert {r.status for r in parsed.records} <= set(p5.STATUS.values()) and all(len(r.operator_number) == 6 for r in parsed.records)


def test_loading_the_file_sets_official_names_and_status_keeps_raw_records_and_quarantines(settings, owner_conn, tmp_path):
    universe, path = _permits_then_p5(settings, tmp_path, 5, "orf850.txt.gz")
    published = datetime(2026, 6, 25, tzinfo=UTC)
    result = p5_load.load(owner_conn, str(path), data_dir=tmp_path, published_at=published)
    known = owner_conn.execute("SELECT count(*) FROM operators").fetchone()[0]
    assert result["records"] == 400 and result["quarantined"] == 1 and result["operators_updated"] == known > 0
    rows = owner_conn.execute("SELECT p5_number, p5_name, p5_status FROM operators").fetchall()
    by_number = {r.operator_number: r for r in p5.parse(p5_lines(universe, START)).records}
    assert all(name == by_number[n].name and status == by_number[n].status for n, name, status in rows)
    assert owner_conn.execute("SELECT count(*) FROM permit_raw_records WHERE source = 'rrc_p5'").fetchone()[0] == 400
    q = owner_conn.execute("SELECT reason, line_no FROM ingestion_quarantine WHERE source = 'rrc_p5'").fetchall()
    assert [r[0] for r in q] == ["bad_operator_number"]
    # The same file again: nothing new in the raw layer, same answers.
    again = p5_load.load(owner_conn, str(path), data_dir=tmp_path, published_at=published)
    assert again["raw_new"] == 0 and again["operators_updated"] == known


def test_the_profile_shows_the_p5_entry_once_the_file_is_loaded(settings, owner_conn, tmp_path):
    from services.operators import profile

    universe, path = _permits_then_p5(settings, tmp_path, 2, "orf850.txt")
    op = owner_conn.execute("SELECT id, p5_number FROM operators ORDER BY p5_number LIMIT 1").fetchone()
    assert profile.profile(owner_conn.cursor(), op[0], follow_line=False, today=START)["p5"] is None
    p5_load.load(owner_conn, str(path), data_dir=tmp_path, published_at=datetime(2026, 6, 25, tzinfo=UTC))
    entry = profile.profile(owner_conn.cursor(), op[0], follow_line=False, today=START)["p5"]
    expected = next(r for r in p5.parse(p5_lines(universe, START)).records if r.operator_number == op[1])
    assert (entry["name"], entry["status"], entry["organization"]) == (expected.name, expected.status, expected.organization)
