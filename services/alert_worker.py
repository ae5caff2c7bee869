"""The long-running alert worker: evaluate new permit changes, assemble digests due,
deliver the outbox (SMS, e-mail, in-app, and the workspaces' webhooks, which build on the
alerting package, hence this module above both); woken by the ingestion's NOTIFY, and
polling besides (a notification can be missed while reconnecting; the cursor and the
outbox never are)."""

from __future__ import annotations

import logging
import signal
import threading
import time

import psycopg

from services.alerting.delivery import deliver_due, providers_from
from services.alerting.evaluate import evaluate_pending
from services.settings import Settings
from services.webhooks import deliver as webhooks
from services.webhooks.sender import Sender

log = logging.getLogger("permitwatch.alerts")


def run(settings: Settings, *, evaluate: bool = True, deliver: bool = True, poll: float = 2.0,
        stop: threading.Event | None = None, once: bool = False) -> None:
    stop = stop or threading.Event()
    if not once:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    providers = providers_from(settings) if deliver else {}
    post = Sender(settings) if deliver else None
    with psycopg.connect(settings.worker_database_url) as conn, \
            psycopg.connect(settings.worker_database_url, autocommit=True) as listener:
        listener.execute("LISTEN permit_changes")
        while not stop.is_set():
            started = time.monotonic()
            try:
                _round(conn, settings, providers, evaluate, deliver, post)
            except Exception:
                # The round's transaction rolled back (nothing half-done); say so loudly and
                # try again after a pause instead of dying: the cursor and the outbox hold
                # what is left to do.
                log.exception("alert worker round failed; retrying in %.0f s", max(poll, 5.0))
                if conn.closed or conn.broken:
                    conn = psycopg.connect(settings.worker_database_url)
                stop.wait(max(poll, 5.0))
                continue
            if once:
                return
            # Sleep until ingestion says there are changes, or the poll interval passes.
            remaining = max(0.0, poll - (time.monotonic() - started))
            for _ in listener.notifies(timeout=remaining, stop_after=1):
                pass


def _round(conn: psycopg.Connection, settings: Settings, providers: dict, evaluate: bool, deliver: bool,
           post: Sender | None = None) -> None:
    if evaluate:
        r = evaluate_pending(conn)
        if r.changes:
            log.info("evaluated %d changes: %d events, %d outbox rows", r.changes, r.events, r.outbox)
    if deliver:
        d = deliver_due(conn, settings, providers)
        if d.sent or d.in_app or d.retried or d.dead or d.digests:
            log.info("delivered: sent %d, in-app %d, retrying %d, dead %d, digests %d",
                     d.sent, d.in_app, d.retried, d.dead, d.digests)
        if post is not None:
            queued = webhooks.fan_out_changes(conn)
            w = webhooks.deliver(conn, settings, post)
            if queued or w.sent or w.retried or w.dead:
                log.info("webhooks: %d change events queued; sent %d, retrying %d, dead %d", queued, w.sent, w.retried, w.dead)
