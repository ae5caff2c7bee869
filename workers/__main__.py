"""`python -m workers --queues ingest`: an RQ worker for the named queues."""

from __future__ import annotations

import argparse

from services.queueing import run_worker
from services.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workers", description="Run an RQ worker for permitwatch queues.")
    parser.add_argument("--queues", nargs="+", default=["ingest"],
                        help="queues to serve, in priority order (alerts are evaluated and delivered by `permitwatch alerts worker`, not RQ)")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    args = parser.parse_args(argv)
    run_worker(get_settings(), args.queues, burst=args.burst)


if __name__ == "__main__":
    main()
