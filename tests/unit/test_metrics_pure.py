"""PURE: database rows -> the platform metric families."""

from services.metrics.platform import families


def _samples(rows):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families(rows) for s in f.samples}


def test_rows_become_labelled_samples():
    rows = {"runs": [("rrc_daf420", "success", 3, 1000.0, 1100.0, 500, 40), ("rrc_daf420", "failed", 1, 2000.0, None, 0, 0)],
            "lag": [("rrc_daf420", 5400)], "qa": [("rrc_daf420", "count_drop", 2)],
            "outbox": [("sms", "dead", 4), ("email", "pending", 9)], "backlog": [(12, 300.5)]}
    s = _samples(rows)
    src = (("source", "rrc_daf420"),)
    assert s[("permitwatch_ingestion_last_run_timestamp_seconds", src)] == 2000.0
    assert s[("permitwatch_ingestion_last_success_timestamp_seconds", src)] == 1100.0
    assert s[("permitwatch_permits_ingested_total", src)] == 500 and s[("permitwatch_new_filings_total", src)] == 40
    assert s[("permitwatch_ingestion_runs_total", (("source", "rrc_daf420"), ("status", "failed")))] == 1
    assert s[("permitwatch_qa_gate_failures_total", (("check", "count_drop"), ("source", "rrc_daf420")))] == 2
    assert s[("permitwatch_dead_letters", (("channel", "sms"),))] == 4
    assert s[("permitwatch_dead_letters", (("channel", "email"),))] == 0  # every channel has a series, even at zero
    assert s[("permitwatch_outbox_depth", (("channel", "email"), ("status", "pending")))] == 9
    assert s[("permitwatch_evaluation_backlog", ())] == 12 and s[("permitwatch_evaluation_oldest_pending_seconds", ())] == 300.5


def test_a_source_that_never_succeeded_has_no_success_timestamp():
    rows = {"runs": [("rrc_daf420", "failed", 2, 50.0, None, 0, 0)], "lag": [], "qa": [], "outbox": [], "backlog": [(0, 0)]}
    names = {name for name, _ in _samples(rows)}
    assert "permitwatch_ingestion_last_success_timestamp_seconds" not in names  # absent() alerts on it
    assert "permitwatch_ingestion_last_run_timestamp_seconds" in names


def test_missed_publications_follow_the_rrc_calendar():
    from datetime import UTC, datetime

    wednesday = datetime(2026, 11, 25, 15, 45, tzinfo=UTC)
    base = {"runs": [], "lag": [], "qa": [], "outbox": [], "backlog": [(0, 0)]}
    src = (("source", "rrc_daf420"),)
    # Thanksgiving, the day after, a weekend: nothing is due until Monday's file.
    quiet = _samples({**base, "published": [("rrc_daf420", wednesday, datetime(2026, 11, 29, 23, tzinfo=UTC))]})
    assert quiet[("permitwatch_source_publications_missed", src)] == 0
    late = _samples({**base, "published": [("rrc_daf420", wednesday, datetime(2026, 12, 1, 23, tzinfo=UTC))]})
    assert late[("permitwatch_source_publications_missed", src)] == 2  # Monday and Tuesday

