"""The ingest job through real Redis and a real RQ worker process."""

import subprocess
import sys

from redis import Redis
from rq.job import Job

from services.queueing import enqueue_ingest
from tests.conftest import env_for, sample


def test_enqueued_ingest_runs_in_a_worker_once(settings, app_conn):
    redis = Redis.from_url(settings.redis_url)
    redis.flushdb()
    job = enqueue_ingest(settings, str(sample("2026-07-03")))
    same = enqueue_ingest(settings, str(sample("2026-07-03")))
    assert same.id == job.id  # queued already: not queued twice
    proc = subprocess.run([sys.executable, "-m", "workers", "--queues", "ingest", "--burst"],
                          env=env_for(settings), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    done = Job.fetch(job.id, connection=redis)
    assert done.get_status() == "finished"
    assert done.return_value()["status"] == "success" and done.return_value()["changes"] == 59
    assert app_conn.execute("SELECT count(*) FROM ingestion_runs WHERE promoted").fetchone() == (1,)
    redis.flushdb()


def test_ingest_queues_evaluation_and_rq_workers_deliver(settings, app_conn, worker_conn):
    from services.alerting import rule_store
    from services.alerting import rules as R
    from services.db.engine import set_tenant
    from services.tenancy import admin

    redis = Redis.from_url(settings.redis_url)
    redis.flushdb()
    ws = admin.create_workspace(app_conn, "RQ", "rq@example.com", verified=True)
    search = admin.create_saved_search(app_conn, ws.workspace_id, "Midland", {"counties": ["329"]})
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        rule_store.save(cur, ws.workspace_id, R.RuleSpec(name="m", saved_search_id=search, recipients=[ws.user_id]), actor=ws.user_id)
    from services.ingestion.pipeline import ingest

    ingest(settings, str(sample("2026-07-28")))
    assert Job.fetch("evaluate-changes", connection=redis).get_status() == "queued"
    env = env_for(settings) | {"PERMITWATCH_EMAIL_PROVIDER": "none", "PERMITWATCH_SMS_PROVIDER": "none"}
    proc = subprocess.run([sys.executable, "-m", "workers", "--queues", "evaluate", "deliver", "--burst"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = worker_conn.execute("SELECT count(*) FROM alert_events").fetchone()[0]
    assert events > 0
    assert worker_conn.execute("SELECT count(*) FROM notifications").fetchone()[0] == events  # delivered by workers.deliver
    redis.flushdb()
