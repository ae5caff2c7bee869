"""The /metrics listener of processes with no HTTP server of their own, and the platform
collector's registration (once per process)."""

from __future__ import annotations

import functools

from prometheus_client import REGISTRY, start_http_server

from services.metrics.platform import PlatformCollector
from services.settings import Settings


@functools.cache
def register_platform(database_url: str) -> None:
    REGISTRY.register(PlatformCollector(database_url))


def start(settings: Settings, port: int | None = None) -> int | None:
    """Serve /metrics on settings.metrics_port (0: off). Returns the port, or None."""
    port = settings.metrics_port if port is None else port
    if settings.metrics_platform:
        register_platform(settings.worker_database_url)
    if not port:
        return None
    start_http_server(port)
    return port
