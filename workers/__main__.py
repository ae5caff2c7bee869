"""`python -m workers --queues ingest`: an RQ worker for the named queues."""

from __future__ import annotations

import argparse

from redis import Redis
from rq import Worker

from services.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers", description="Run an RQ worker for permitwatch queues.")
    parser.add_argument("--queues", nargs="+", default=["ingest", "evaluate", "deliver"], help="queues to serve, in priority order")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)
    conn = Redis.from_url(get_settings().redis_url)
    Worker(args.queues, connection=conn).work(burst=args.burst, with_scheduler=False)


if __name__ == "__main__":
    main()
