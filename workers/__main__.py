"""`python -m workers --queues ingest`: an RQ worker for the named queues."""

from __future__ import annotations

import argparse

from redis import Redis
from rq import SimpleWorker

from services.metrics import serve as metrics
from services.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers", description="Run an RQ worker for permitwatch queues.")
    parser.add_argument("--queues", nargs="+", default=["ingest"],
                        help="queues to serve, in priority order (alerts are evaluated and delivered by `permitwatch alerts worker`, not RQ)")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)
    settings = get_settings()
    metrics.start(settings)
    # Jobs run in this process, not a forked child: what they measure (evaluation lag,
    # deliveries) stays in this process's /metrics, and short DB-bound jobs skip a fork
    # each. Job timeouts still hold (SIGALRM in the main thread).
    SimpleWorker(args.queues, connection=Redis.from_url(settings.redis_url)).work(burst=args.burst, with_scheduler=False)


if __name__ == "__main__":
    main()
