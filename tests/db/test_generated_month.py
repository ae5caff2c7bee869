"""Two generated months (amendments, in-place changes, coordinates coming and going,
malformed lines, a rollover) ingested day by day through the backfill: the database
holds exactly what diffing the files shows, and what the generator made."""

from datetime import date

from services.ingestion import backfill
from services.ingestion.demo import write_demo
from services.ingestion.generator import Universe
from services.reference.sampling import CountySampler
from tests.oracle import human_diff, run_keys

SEED, PERMITS, START, DAYS = 21, 1200, date(2026, 6, 1), 61


def test_backfill_of_generated_months(settings, app_conn, tmp_path):
    folder = tmp_path / "demo"
    write_demo(folder, seed=SEED, permits=PERMITS, start=START, days=DAYS)
    files, undated = backfill.plan(folder)
    assert not undated and len(files) == 44  # business days from 2 June to 31 July
    expected = human_diff([p.path.read_text(encoding="latin-1").splitlines(keepends=True) for p in files])
    results = backfill.run(settings, files, source="rrc_daf420")
    for planned, result, (new, changed) in zip(files, results, expected, strict=False):
        assert result.promoted, (planned.snapshot, result.reason)
        rows = run_keys(app_conn, result.run_id)
        assert {(s, q) for s, q, _ in rows} == new | changed, planned.snapshot
        assert {(s, q) for s, q, t in rows if t in ("new", "amended")} == new, planned.snapshot

    universe = Universe(SEED, PERMITS, START, DAYS, CountySampler(SEED).sample)
    permits = list(universe.all_permits())
    last_day = files[-1].snapshot
    changes = dict(app_conn.execute("SELECT change_type, count(*) FROM permit_changes GROUP BY 1").fetchall())
    quarantined = app_conn.execute("SELECT count(DISTINCT source_record_id) FROM ingestion_quarantine "
                                   "WHERE reason = 'bad_status_number'").fetchone()[0]
    # Every permit arrives once as new (a broken 01 line the next day does not undo it).
    assert changes["new"] == PERMITS == app_conn.execute("SELECT count(*) FROM permits").fetchone()[0]
    amendments = sum(1 for p in permits for f in p.filings if f.sequence < 99 and f.day <= last_day)
    assert changes["amended"] == amendments
    assert changes.get("spudded", 0) > 0 and changes.get("location_changed", 0) > 0
    assert quarantined > 0

    # Rerunning the whole backfill is safe and changes nothing.
    before = app_conn.execute("SELECT (SELECT count(*) FROM permit_versions), (SELECT count(*) FROM permit_changes)").fetchone()
    again = backfill.run(settings, files, source="rrc_daf420")
    assert {r.status for r in again} == {"skipped"}
    assert app_conn.execute("SELECT (SELECT count(*) FROM permit_versions), (SELECT count(*) FROM permit_changes)").fetchone() == before
