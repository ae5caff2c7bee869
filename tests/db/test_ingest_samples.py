"""Ingesting the real RRC daily files: what a person diffing them would see, exactly
once, whatever is re-read."""

import json

import pytest

from services.ingestion.pipeline import ingest
from services.ingestion.sources.rrc import PermitRecord, parse_lines
from tests.conftest import SAMPLE_DAYS, sample, sample_lines
from tests.oracle import human_diff, run_keys


def _counts(conn):
    return conn.execute("SELECT (SELECT count(*) FROM permit_raw_records), (SELECT count(*) FROM permit_versions), "
                        "(SELECT count(*) FROM permit_changes), (SELECT count(*) FROM permits)").fetchone()


def test_a_month_of_real_files_yields_exactly_the_human_diff(settings, app_conn):
    expected = human_diff([sample_lines(d) for d in SAMPLE_DAYS])
    for day, (new, changed) in zip(SAMPLE_DAYS, expected, strict=False):
        result = ingest(settings, str(sample(day)))
        assert result.promoted, (day, result.reason)
        rows = run_keys(app_conn, result.run_id)
        versions = {(s, q) for s, q, _ in rows}
        assert versions == new | changed, day
        assert {(s, q) for s, q, t in rows if t in ("new", "amended")} == new, day
        assert {(s, q) for s, q, t in rows if t == "new"} == {k for k in new if k[1] == 99}
        assert result.metrics["versions"] == len(new | changed)
    # Every version has a raw record behind it and a change row pointing at it.
    orphans = app_conn.execute("""SELECT count(*) FROM permit_versions v WHERE NOT EXISTS
                                  (SELECT 1 FROM permit_changes c WHERE c.permit_version_id = v.id)""").fetchone()
    assert orphans == (0,)


def test_same_file_twice_creates_nothing(settings, app_conn):
    first = ingest(settings, str(sample("2026-07-28")))
    before = _counts(app_conn)
    again = ingest(settings, str(sample("2026-07-28")))
    assert again.status == "skipped" and "unchanged" in again.reason
    forced = ingest(settings, str(sample("2026-07-28")), force=True)
    assert forced.promoted and forced.metrics["raw_new"] == 0 and forced.metrics["versions"] == 0
    assert _counts(app_conn) == before
    runs = app_conn.execute("SELECT status FROM ingestion_runs ORDER BY started_at").fetchall()
    assert [r[0] for r in runs] == [first.status, "skipped", forced.status]


def test_rollover_and_month_to_date_repeats_make_no_fake_changes(settings, app_conn):
    ingest(settings, str(sample("2026-07-27")))
    ingest(settings, str(sample("2026-07-28")))
    july_permits = app_conn.execute("SELECT count(*) FROM permits").fetchone()[0]
    aug = ingest(settings, str(sample("2026-08-06")))
    # Permits that left the file at the month's end are untouched: no change rows for them.
    touched = {s for s, _, _ in run_keys(app_conn, aug.run_id)}
    aug_statuses = {r.status_number for r in parse_lines(sample_lines("2026-08-06")) if isinstance(r, PermitRecord)}
    assert touched <= aug_statuses
    assert app_conn.execute("SELECT count(*) FROM permits").fetchone()[0] >= july_permits
    checks = {c.name: c for c in aug.checks}
    assert checks["row_count_delta"].details["reason"] == "month rollover"


def test_an_older_snapshot_after_a_newer_one_is_refused_unless_forced(settings):
    ingest(settings, str(sample("2026-07-28")))
    older = ingest(settings, str(sample("2026-07-27")))
    assert older.status == "skipped" and "out of order" in older.reason


def test_last_known_coordinates_are_kept(settings, app_conn):
    ingest(settings, str(sample("2026-07-28")))
    second = ingest(settings, str(sample("2026-07-31")))
    # 167 status numbers have a 14 record on 07-28 and none on 07-31: they keep their point,
    # and its absence is no change.
    located = {r.status_number for r in parse_lines(sample_lines("2026-07-28"))
               if isinstance(r, PermitRecord) and r.fields["surface_location"]}
    missing = {r.status_number for r in parse_lines(sample_lines("2026-07-31"))
               if isinstance(r, PermitRecord) and not r.fields["surface_location"]}
    lost = sorted(located & missing)
    assert len(lost) == 167
    assert not [t for s, _, t in run_keys(app_conn, second.run_id) if s in lost and t == "location_changed"]
    assert lost, "the samples have permits whose coordinates disappear"
    rows = app_conn.execute("SELECT status_number, geom IS NOT NULL FROM permits_current WHERE status_number = ANY(%s)",
                            (lost,)).fetchall()
    assert rows and all(has for _, has in rows)


def test_current_row_is_the_lowest_sequence(settings, app_conn):
    ingest(settings, str(sample("2026-07-28")))
    row = app_conn.execute("SELECT sequence, amendment_count, county, district, operator_name FROM permits_current "
                           "WHERE status_number = '0916838'").fetchone()
    assert row == (97, 2, "Glasscock", "08", "BLACK SWAN OPCO, LLC")


def test_run_is_recorded_with_cursor_metrics_and_checks(settings, app_conn):
    result = ingest(settings, str(sample("2026-07-28")))
    status, cursor, metrics = app_conn.execute("SELECT status, cursor, metrics FROM ingestion_runs WHERE id = %s",
                                               (result.run_id,)).fetchone()
    assert status == "success"
    assert cursor["snapshot_at"].startswith("2026-07-28") and cursor["content_month"] == "2026-07"
    assert metrics["records"] == 706 and metrics["skipped_lines"] == {"continuation_line": 13}
    checks = app_conn.execute("SELECT check_name, status FROM data_quality_checks WHERE ingestion_run_id = %s",
                              (result.run_id,)).fetchall()
    assert len(checks) == 5 and {s for _, s in checks} == {"pass"}
    q = app_conn.execute("SELECT reason, count(*) FROM ingestion_quarantine WHERE ingestion_run_id = %s GROUP BY 1",
                         (result.run_id,)).fetchall()
    assert q == [("continuation_line", 13)]


@pytest.mark.parametrize("wrapper", ["zip", "gzip", "plain"])
def test_file_formats(settings, tmp_path, wrapper):
    import gzip
    import zipfile
    data = gzip.decompress(sample("2026-07-03").read_bytes())
    if wrapper == "zip":  # what the RRC file share hands out: documents_YYYYMMDD.zip
        path = tmp_path / "documents_20260703.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("daf420.dat", data)
    elif wrapper == "gzip":
        path = tmp_path / "daf420-2026-07-03.dat.gz"
        path.write_bytes(gzip.compress(data))
    else:
        path = tmp_path / "daf420.dat.07-03-2026"
        path.write_bytes(data)
    result = ingest(settings, str(path))
    assert result.promoted and result.metrics["records"] == 59
    assert result.snapshot_at.date().isoformat() == "2026-07-03"
    assert json.dumps(result.metrics)


def test_ingest_from_a_url_and_a_clear_error_for_a_missing_one(settings, tmp_path):
    import functools
    import http.server
    import threading

    from services.ingestion.fetch import SourceError

    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "daf420-2026-07-03.dat.gz").write_bytes(sample("2026-07-03").read_bytes())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        result = ingest(settings, f"{base}/daf420-2026-07-03.dat.gz")
        assert result.promoted and result.metrics["records"] == 59
        assert result.snapshot_at.date().isoformat() == "2026-07-03"
        assert list((settings.data_dir / "downloads").glob("*.download"))  # streamed to disk, then read
        with pytest.raises(SourceError, match="HTTP 404"):
            ingest(settings, f"{base}/daf420-2026-07-04.dat.gz")
    finally:
        server.shutdown()
