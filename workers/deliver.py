"""RQ job: one delivery round (digests due, in-app, SMS and email)."""

from __future__ import annotations

import psycopg

from services.alerting.delivery import deliver_due, providers_from
from services.settings import get_settings


def run() -> dict:
    settings = get_settings()
    with psycopg.connect(settings.worker_database_url) as conn:
        r = deliver_due(conn, settings, providers_from(settings))
    return {"sent": r.sent, "in_app": r.in_app, "retried": r.retried, "dead": r.dead, "digests": r.digests}
