"""Platform state read from the database at scrape time: ingestion freshness per source,
QA gate failures, the outbox by status, dead letters, the evaluator's backlog. These are
facts of the shared database (ingestion runs in short-lived CronJob pods that are never
scraped), so one process exports them (settings.metrics_platform)."""

from __future__ import annotations

import logging
from datetime import time, timedelta

import psycopg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from services.reference.calendar import missed_publications

# When each source's file is usually out (Central time): the daily file about 09:45, the
# first pending set of the day about 11:08.
PUBLISHES_AT = {"rrc_daf420": time(10, 0), "rrc_pending": time(11, 15)}

log = logging.getLogger("permitwatch.metrics")

QUERIES = {
    "runs": """SELECT source, status, count(*), extract(epoch FROM max(started_at)),
                      extract(epoch FROM max(finished_at) FILTER (WHERE promoted)),
                      coalesce(sum((metrics->>'permits')::bigint) FILTER (WHERE promoted), 0),
                      coalesce(sum((metrics->>'changes_new')::bigint) FILTER (WHERE promoted), 0)
               FROM ingestion_runs GROUP BY source, status""",
    "lag": """SELECT DISTINCT ON (source) source, extract(epoch FROM finished_at - snapshot_at)
              FROM ingestion_runs WHERE promoted ORDER BY source, finished_at DESC""",
    # the newest publication each source delivered, and the database's clock to judge it by
    "published": """SELECT source, max(snapshot_at), now() FROM ingestion_runs WHERE promoted GROUP BY source""",
    "qa": """SELECT r.source, q.check_name, count(*) FROM data_quality_checks q JOIN ingestion_runs r ON r.id = q.ingestion_run_id
             WHERE q.status = 'fail' GROUP BY 1, 2""",
    "outbox": "SELECT channel, status, count(*) FROM notification_outbox WHERE status <> 'sent' GROUP BY 1, 2",
    # the newest week the platform sweep computed (this week so far)
    "product": """SELECT metric, value FROM product_metrics_weekly WHERE week_start = (SELECT max(week_start) FROM product_metrics_weekly)""",
    "backlog": """SELECT count(*), coalesce(extract(epoch FROM now() - min(c.created_at)), 0)
                  FROM permit_changes c WHERE c.id > (SELECT last_change_id FROM alert_cursors WHERE name = 'evaluator')""",
}
OUTBOX_STATUSES = ("pending", "held", "sending", "failed", "dead")
CHANNELS = ("sms", "email", "in_app")


class PlatformCollector:
    def __init__(self, database_url: str):
        self.database_url = database_url

    def collect(self):
        up = GaugeMetricFamily("permitwatch_platform_metrics_up", "1 when the platform metrics were read from the database.")
        try:
            with psycopg.connect(self.database_url, connect_timeout=3, options="-c statement_timeout=5000") as conn:
                rows = {k: conn.execute(q).fetchall() for k, q in QUERIES.items()}
        except psycopg.Error as exc:
            log.warning("platform metrics unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families(rows)


def families(rows: dict[str, list[tuple]]):
    """PURE: query rows -> metric families (tests feed it rows)."""
    runs = CounterMetricFamily("permitwatch_ingestion_runs", "Ingestion runs by source and outcome.", labels=["source", "status"])
    last_run = GaugeMetricFamily("permitwatch_ingestion_last_run_timestamp_seconds", "Start of the newest run.", labels=["source"])
    last_ok = GaugeMetricFamily("permitwatch_ingestion_last_success_timestamp_seconds", "End of the newest promoted run.", labels=["source"])
    permits = CounterMetricFamily("permitwatch_permits_ingested", "Permits carried by promoted runs.", labels=["source"])
    new = CounterMetricFamily("permitwatch_new_filings", "New filings (changes of type new) promoted.", labels=["source"])
    per_source: dict[str, list[float]] = {}
    for source, status, n, started, promoted, p, f in rows["runs"]:
        runs.add_metric([source, status], n)
        agg = per_source.setdefault(source, [0.0, 0.0, 0, 0])
        agg[0] = max(agg[0], float(started or 0))
        agg[1] = max(agg[1], float(promoted or 0))
        agg[2] += p
        agg[3] += f
    for source, (started, promoted, p, f) in sorted(per_source.items()):
        last_run.add_metric([source], started)
        if promoted:
            last_ok.add_metric([source], promoted)
        permits.add_metric([source], p)
        new.add_metric([source], f)
    lag = GaugeMetricFamily("permitwatch_ingestion_lag_seconds", "Source availability -> ingested, newest promoted run.", labels=["source"])
    for source, seconds in rows["lag"]:
        lag.add_metric([source], float(seconds or 0))
    missed = GaugeMetricFamily("permitwatch_source_publications_missed",
                               "Publication days (RRC calendar) past their usual hour plus grace with no newer file.", labels=["source"])
    for source, published, now in rows.get("published", []):
        missed.add_metric([source], missed_publications(published, now, publishes_at=PUBLISHES_AT.get(source, time(10)),
                                                        grace=timedelta(hours=6)))
    qa = CounterMetricFamily("permitwatch_qa_gate_failures", "QA checks that failed (the run was not promoted).", labels=["source", "check"])
    for source, check, n in rows["qa"]:
        qa.add_metric([source, check], n)
    depth = GaugeMetricFamily("permitwatch_outbox_depth", "Notification outbox rows not yet sent, by status.", labels=["channel", "status"])
    dead = GaugeMetricFamily("permitwatch_dead_letters", "Notifications that gave up (status dead), by channel.", labels=["channel"])
    counts = {(c, s): n for c, s, n in rows["outbox"]}
    for channel in CHANNELS:
        for status in OUTBOX_STATUSES:
            depth.add_metric([channel, status], counts.get((channel, status), 0))
        dead.add_metric([channel], counts.get((channel, "dead"), 0))
    pending, oldest = rows["backlog"][0]
    backlog = GaugeMetricFamily("permitwatch_evaluation_backlog", "Permit changes not yet evaluated.")
    backlog.add_metric([], pending)
    age = GaugeMetricFamily("permitwatch_evaluation_oldest_pending_seconds", "Age of the oldest change not yet evaluated (0 if none).")
    age.add_metric([], float(oldest))
    product = GaugeMetricFamily("permitwatch_product_week", "This week's product figures so far (see docs: alerts opened, actionable, "
                                "active accounts, actionable per active account, activation and trial-to-paid rates).", labels=["metric"])
    for metric, value in rows.get("product", []):
        if value is not None:
            product.add_metric([metric], float(value))
    yield from (runs, last_run, last_ok, permits, new, lag, missed, qa, depth, dead, backlog, age, product)
