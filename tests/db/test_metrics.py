"""Metrics over the real database: the platform gauges the evaluate pool exports, and the
histograms the evaluator observes (a backfill's old snapshots stay out of the SLI)."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry

from services.alerting.evaluate import evaluate_pending
from services.metrics.platform import PlatformCollector
from tests.conftest import news, rules_predate_files


def _scrape(url: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(PlatformCollector(url))
    return registry


def test_platform_gauges_tell_the_database_state(settings, owner_conn, worker_conn):
    reg = _scrape(settings.worker_database_url)
    assert reg.get_sample_value("permitwatch_platform_metrics_up") == 1
    assert reg.get_sample_value("permitwatch_ingestion_last_success_timestamp_seconds", {"source": "rrc_daf420"}) is None

    run = news(settings, "2026-07-28")
    finished, permits, new, changes = owner_conn.execute(
        "SELECT extract(epoch FROM finished_at), (metrics->>'permits')::int, (metrics->>'changes_new')::int, "
        "(SELECT count(*) FROM permit_changes) FROM ingestion_runs WHERE id = %s", (run.run_id,)).fetchone()
    reg = _scrape(settings.worker_database_url)
    labels = {"source": "rrc_daf420"}
    assert reg.get_sample_value("permitwatch_ingestion_last_success_timestamp_seconds", labels) == float(finished)
    assert reg.get_sample_value("permitwatch_permits_ingested_total", labels) == permits > 0
    assert reg.get_sample_value("permitwatch_new_filings_total", labels) == new
    assert reg.get_sample_value("permitwatch_ingestion_runs_total", {"source": "rrc_daf420", "status": run.status}) == 1
    assert reg.get_sample_value("permitwatch_ingestion_lag_seconds", labels) > 0
    assert reg.get_sample_value("permitwatch_evaluation_backlog") == changes > 0
    assert reg.get_sample_value("permitwatch_evaluation_oldest_pending_seconds") >= 0
    assert reg.get_sample_value("permitwatch_outbox_depth", {"channel": "sms", "status": "pending"}) == 0

    lag_before = REGISTRY.get_sample_value("permitwatch_evaluation_lag_seconds_count") or 0
    fresh_before = REGISTRY.get_sample_value("permitwatch_filing_freshness_seconds_count") or 0
    rules_predate_files(worker_conn)
    evaluate_pending(worker_conn)
    assert REGISTRY.get_sample_value("permitwatch_evaluation_lag_seconds_count") - lag_before == changes
    # July's snapshot is months old: history, not a new filing late by months
    assert (REGISTRY.get_sample_value("permitwatch_filing_freshness_seconds_count") or 0) == fresh_before
    assert _scrape(settings.worker_database_url).get_sample_value("permitwatch_evaluation_backlog") == 0


def test_new_filings_count_toward_freshness(settings, owner_conn, worker_conn):
    news(settings, "2026-07-28")
    # As if the source had published this snapshot 30 minutes ago.
    owner_conn.execute("UPDATE permit_changes SET source_seen_at = now() - interval '30 minutes'")
    owner_conn.commit()
    new = owner_conn.execute("SELECT count(*) FROM permit_changes WHERE change_type = 'new'").fetchone()[0]
    within = REGISTRY.get_sample_value("permitwatch_filing_freshness_seconds_bucket", {"le": "7200.0"}) or 0
    rules_predate_files(worker_conn)
    evaluate_pending(worker_conn)
    assert REGISTRY.get_sample_value("permitwatch_filing_freshness_seconds_bucket", {"le": "7200.0"}) - within == new > 0


def test_platform_metrics_say_when_the_database_is_unreachable():
    reg = _scrape("postgresql://nobody@127.0.0.1:1/none")
    assert reg.get_sample_value("permitwatch_platform_metrics_up") == 0
