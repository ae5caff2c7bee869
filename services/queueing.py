"""Enqueueing RQ jobs by dotted path, so `services` never imports `workers`.

Job ids are deterministic: asking twice for the same work while it is queued or running
returns the job already there instead of queueing a second one.
"""

from __future__ import annotations

import hashlib

from redis import Redis
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from services.settings import Settings

ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def redis_client(settings: Settings) -> Redis:
    return Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)


def enqueue_unique(settings: Settings, queue: str, func: str, job_id: str, *args, timeout: int = 3600) -> Job:
    conn = redis_client(settings)
    try:
        existing = Job.fetch(job_id, connection=conn)
        if existing.get_status(refresh=True) in ACTIVE:
            return existing
    except NoSuchJobError:
        pass
    return Queue(queue, connection=conn).enqueue(func, *args, job_id=job_id, job_timeout=timeout,
                                                 result_ttl=86400, failure_ttl=7 * 86400)


def enqueue_ingest(settings: Settings, uri: str, source: str = "rrc_daf420") -> Job:
    key = hashlib.sha256(f"{source}|{uri}".encode()).hexdigest()[:20]
    return enqueue_unique(settings, "ingest", "workers.ingest.run", f"ingest-{key}", uri, source)


def run_worker(settings: Settings, queues: list[str], *, burst: bool = False) -> None:
    """An RQ worker on QUEUES. Jobs run in this process, not a forked child: what they
    measure stays in this process's /metrics, and short DB-bound jobs skip a fork each. Job
    timeouts still hold (SIGALRM in the main thread)."""
    from services.metrics import serve as metrics

    metrics.start(settings)
    SimpleWorker(queues, connection=Redis.from_url(settings.redis_url)).work(burst=burst, with_scheduler=False)
