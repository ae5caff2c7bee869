"""RQ job: evaluate every permit change after the cursor (exactly once, see
services.alerting.evaluate), then ask for delivery."""

from __future__ import annotations

import psycopg

from services.alerting.evaluate import evaluate_pending
from services.queueing import enqueue_unique
from services.settings import get_settings


def run() -> dict:
    settings = get_settings()
    with psycopg.connect(settings.worker_database_url) as conn:
        r = evaluate_pending(conn)
    if r.outbox:
        enqueue_unique(settings, "deliver", "workers.deliver.run", "deliver-due")
    return {"changes": r.changes, "events": r.events, "outbox": r.outbox, "cursor": r.cursor}
