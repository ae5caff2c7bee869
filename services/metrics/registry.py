"""The in-process metrics, defined once. Buckets follow the SLOs: the freshness SLO is
2 hours (7200 s is a bucket edge), delivery is judged in seconds to minutes."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400)

http_latency = Histogram("permitwatch_http_request_duration_seconds", "HTTP request latency by route template.",
                         ["method", "route", "status"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
evaluation_lag = Histogram("permitwatch_evaluation_lag_seconds", "Permit change recorded by ingestion -> evaluated against alert rules.",
                           buckets=LAG_BUCKETS)
filing_freshness = Histogram("permitwatch_filing_freshness_seconds",
                             "New filing: source availability (snapshot time) -> alert-evaluated. The freshness SLI: at most 7200 s.",
                             buckets=LAG_BUCKETS)
alert_events = Counter("permitwatch_alert_events_total", "Alert events created by the evaluator.")
delivery_latency = Histogram("permitwatch_delivery_latency_seconds", "Alert event created -> accepted by the provider (or the inbox).",
                             ["channel"], buckets=LAG_BUCKETS)
deliveries = Counter("permitwatch_delivery_attempts_total", "Delivery attempts by channel and outcome (sent, retry, dead).",
                     ["channel", "outcome"])
ratelimit_fail_open = Counter("permitwatch_api_ratelimit_fail_open_total",
                              "API key requests let through unlimited because Redis could not be reached.")
metering_lost = Counter("permitwatch_api_metering_lost_total", "API key requests not metered because Redis could not be reached.")
webhook_seconds = Histogram("permitwatch_webhook_response_seconds", "Outbound webhook attempts: request sent -> receiver answered.",
                            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
reconciles = Counter("permitwatch_controller_reconciles_total", "Operator reconciles by kind and outcome.", ["kind", "outcome"])

# Changes whose snapshot is older than this are history (a backfill), not new filings:
# they are evaluated, but they do not count against the freshness SLO.
FRESHNESS_WINDOW_SECONDS = 7 * 86400
