"""Keeping the map current after ingestion changed permits: refresh the low-zoom grid
(CONCURRENTLY, so tiles stay readable) and retire cached tiles."""

from __future__ import annotations

import logging
import time

import psycopg

from services.permits import tile_cache
from services.settings import Settings

log = logging.getLogger(__name__)


def refresh(conn: psycopg.Connection, settings: Settings) -> float:
    t0 = time.perf_counter()
    conn.execute("SELECT refresh_permit_grid()")
    conn.commit()
    from services.queueing import redis_client

    tile_cache.bump(redis_client(settings))
    return time.perf_counter() - t0
