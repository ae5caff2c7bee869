"""The ingest job through real Redis and a real RQ worker process, and the one path that
evaluates and delivers alerts (the alert worker) in the local stack's and the chart's layout."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from redis import Redis
from rq.job import Job

from services import localstack
from services.queueing import enqueue_ingest
from services.settings import REPO_ROOT
from tests.conftest import env_for, midland_rule, news, sample


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


def _chart_commands() -> list[list[str]]:
    values = yaml.safe_load((REPO_ROOT / "charts" / "permitwatch" / "values.yaml").read_text())
    return [values["workers"][pool]["command"] for pool in ("evaluate", "deliver")]


def _local_commands() -> list[list[str]]:
    return [["permitwatch", *localstack.APP_PROCESSES["alert-worker"]]]


@pytest.mark.parametrize("layout", ["local stack", "kubernetes chart"])
def test_a_change_reaches_the_inbox_through_the_one_evaluation_path_and_nothing_is_queued(settings, app_conn, worker_conn, layout):
    redis = Redis.from_url(settings.redis_url)
    redis.flushdb()
    midland_rule(app_conn, "One path", "one@example.com")
    commands = _local_commands() if layout == "local stack" else _chart_commands()
    env = env_for(settings) | {"PERMITWATCH_EMAIL_PROVIDER": "none", "PERMITWATCH_SMS_PROVIDER": "none"}
    exe = str(Path(sys.executable).parent / "permitwatch")
    procs = [subprocess.Popen([exe, *c[1:]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]
    try:
        news(settings, "2026-07-28")
        deadline = time.monotonic() + 60
        while worker_conn.execute("SELECT count(*) FROM notifications").fetchone()[0] == 0 and time.monotonic() < deadline:
            worker_conn.commit()
            time.sleep(0.2)
        events = worker_conn.execute("SELECT count(*) FROM alert_events").fetchone()[0]
        time.sleep(1.0)  # let the delivery round finish the rest
        worker_conn.commit()
        assert events > 0 and worker_conn.execute("SELECT count(*) FROM notifications").fetchone()[0] == events
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            assert p.wait(30) is not None
    # Ingestion queued nothing (only the tile cache's generation counter moved): the alert worker is the one path.
    assert [k for k in redis.keys("*") if not k.startswith(b"permitwatch:tiles:")] == []
