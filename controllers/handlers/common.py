"""What the handlers share: the operator's settings, the database connection, Events and
conditions for resources that cannot work."""

from __future__ import annotations

import contextlib
import functools
from datetime import UTC, datetime

import kopf
import psycopg

from controllers.desired.common import Cluster
from controllers.specs import Invalid
from controllers.status import condition, merge_conditions
from services.metrics import registry
from services.settings import Settings, get_settings

GROUP, VERSION = "permitwatch.io", "v1"


@functools.lru_cache(maxsize=1)
def context() -> tuple[Settings, Cluster]:
    s = get_settings()
    return s, Cluster(image=s.k8s_image, pull_policy=s.k8s_image_pull_policy, env_secret=s.k8s_env_secret,
                      env_configmap=s.k8s_env_configmap, service_account=s.k8s_service_account)


def now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def database():
    """The worker role's connection. An unreachable database is temporary: Kopf retries
    the handler later instead of marking the resource broken."""
    try:
        with psycopg.connect(context()[0].worker_database_url, connect_timeout=5) as conn:
            yield conn
    except psycopg.OperationalError as exc:
        raise kopf.TemporaryError(f"database unavailable: {exc}", delay=30) from exc


def _ready_condition(status: dict) -> dict | None:
    return next((c for c in status.get("conditions") or () if c.get("type") == "Ready"), None)


def already_invalid(status: dict, generation: int | None) -> bool:
    ready = _ready_condition(status)
    return bool(ready and ready.get("status") == "False" and ready.get("observedGeneration") == generation
                and ready.get("reason") not in (None, "Reconciled"))


def invalid(kind: str, body, status: dict, patch, exc: Invalid, generation: int | None) -> None:
    """Say once why the resource cannot work (condition + Warning Event) and stop: a fix
    to the spec (a new generation) is what makes it try again."""
    registry.reconciles.labels(kind=kind, outcome="invalid").inc()
    if already_invalid(status, generation) and _ready_condition(status)["reason"] == exc.reason:
        return
    kopf.warn(body, reason=exc.reason, message=str(exc))
    patch.status["conditions"] = merge_conditions(status.get("conditions"), condition(
        "Ready", False, exc.reason, str(exc), now(), generation, status.get("conditions")))
    patch.status["observedGeneration"] = generation


def ready(status: dict, generation: int | None, message: str) -> list[dict]:
    return merge_conditions(status.get("conditions"), condition("Ready", True, "Reconciled", message, now(), generation,
                                                                status.get("conditions")))


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
