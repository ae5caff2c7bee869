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
