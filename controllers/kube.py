"""The only module that calls the Kubernetes API (the official client, sync: Kopf runs
sync handlers in its thread pool). Children are applied by comparing the desired manifest
with the live object and merge-patching only what drifted."""

from __future__ import annotations

import functools
import os

import kubernetes
from kubernetes.client import ApiClient, ApiException

from controllers.desired.common import GROUP
from controllers.status import drift

MERGE_PATCH = "application/merge-patch+json"
# (connect, read) seconds for every call: the client's default is to wait forever, and a
# handler thread stuck on a silent API server keeps the operator from stopping.
TIMEOUT = (5, 30)


@functools.lru_cache(maxsize=1)
def api() -> ApiClient:
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        kubernetes.config.load_incluster_config()
    else:
        kubernetes.config.load_kube_config()
    return ApiClient()


def _typed(kind: str):
    a = api()
    batch, apps = kubernetes.client.BatchV1Api(a), kubernetes.client.AppsV1Api(a)
    return {"CronJob": (batch.read_namespaced_cron_job, batch.create_namespaced_cron_job, batch.patch_namespaced_cron_job,
                        batch.delete_namespaced_cron_job),
            "Job": (batch.read_namespaced_job, batch.create_namespaced_job, batch.patch_namespaced_job, batch.delete_namespaced_job),
            "Deployment": (apps.read_namespaced_deployment, apps.create_namespaced_deployment, apps.patch_namespaced_deployment,
                           apps.delete_namespaced_deployment)}[kind]


def _plain(obj) -> dict:
    return api().sanitize_for_serialization(obj)


def read(kind: str, namespace: str, name: str) -> dict | None:
    try:
        return _plain(_typed(kind)[0](name, namespace, _request_timeout=TIMEOUT))
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def apply(manifest: dict) -> tuple[str, list[str]]:
    """Create, or put drifted fields back. Returns ('created' | 'patched' | 'unchanged', drifted paths)."""
    kind, meta = manifest["kind"], manifest["metadata"]
    read_fn, create_fn, patch_fn, _ = _typed(kind)
    observed = read(kind, meta["namespace"], meta["name"])
    if observed is None:
        try:
            create_fn(meta["namespace"], manifest, _request_timeout=TIMEOUT)
            return "created", []
        except ApiException as exc:
            if exc.status != 409:  # a concurrent (or replayed) create got there first
                raise
            observed = _plain(read_fn(meta["name"], meta["namespace"], _request_timeout=TIMEOUT))
    paths = drift(manifest, observed)
    if not paths:
        return "unchanged", []
    patch_fn(meta["name"], meta["namespace"], manifest, _content_type=MERGE_PATCH, _request_timeout=TIMEOUT)
    return "patched", paths


def delete(kind: str, namespace: str, name: str) -> bool:
    try:
        _typed(kind)[3](name, namespace, propagation_policy="Background", _request_timeout=TIMEOUT)
        return True
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise


def list_jobs(namespace: str, labels: dict[str, str]) -> list[dict]:
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    jobs = kubernetes.client.BatchV1Api(api()).list_namespaced_job(namespace, label_selector=selector, _request_timeout=TIMEOUT)
    # filtered here too: not every API implementation honours the selector (test emulators)
    return [j for j in map(_plain, jobs.items) if labels.items() <= (j["metadata"].get("labels") or {}).items()]


def read_custom(plural: str, namespace: str, name: str) -> dict | None:
    try:
        return kubernetes.client.CustomObjectsApi(api()).get_namespaced_custom_object(GROUP, "v1", namespace, plural, name, _request_timeout=TIMEOUT)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
