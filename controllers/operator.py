"""The permitwatch operator: `kopf run -m controllers.operator --all-namespaces`.

Importing this module registers the handlers. The operator never serves HTTP of its own;
Kopf's liveness endpoint and the /metrics listener are the only ports."""

from __future__ import annotations

import kopf

from controllers.handlers import backfill, ingestion, quota  # noqa: F401  (registers the handlers)
from controllers.handlers.common import context
from services.metrics import serve as metrics


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, logger, **_) -> None:
    own, _ = context()
    settings.persistence.finalizer = "permitwatch.io/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="permitwatch.io")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix="permitwatch.io", key="last-handled-configuration")
    settings.posting.level = 20  # INFO and up become Kubernetes Events
    settings.watching.server_timeout = 300
    settings.networking.request_timeout = 30
    port = metrics.start(own)
    if port:
        logger.info("metrics on :%d/metrics", port)
