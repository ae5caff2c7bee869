"""IngestionSource -> CronJob + worker Deployment; status from the CronJob and the run log."""

from __future__ import annotations

import kopf

from controllers import kube, specs
from controllers.desired import ingestion as desired
from controllers.handlers.common import GROUP, VERSION, already_invalid, context, database, invalid, iso, ready
from controllers.status import cronjob_times
from services.ingestion.freshness import source_freshness
from services.metrics import registry

PLURAL = "ingestionsources"


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL)
def source_changed(body, spec, name, namespace, meta, status, patch, **_):
    reconcile(body, spec, name, namespace, meta, status, patch)


@kopf.timer(GROUP, VERSION, PLURAL, interval=context()[0].operator_resync_seconds, idle=5)
def source_resync(body, spec, name, namespace, meta, status, patch, **_):
    if not already_invalid(status, meta.get("generation")):
        reconcile(body, spec, name, namespace, meta, status, patch)


def reconcile(body, spec, name, namespace, meta, status, patch) -> None:
    generation = meta.get("generation")
    try:
        source = specs.source_spec(dict(spec))
    except specs.Invalid as exc:
        invalid("IngestionSource", body, status, patch, exc, generation)
        return
    _, cluster = context()
    # The CronJob fetches and ingests by itself; a worker Deployment exists only when the
    # source asks for one (to serve `permitwatch ingest enqueue`): no pods for an unfed queue.
    children = [desired.cronjob(name, namespace, source, cluster)]
    if source.worker.replicas > 0:
        children.append(desired.worker_deployment(name, namespace, source, cluster))
    elif kube.delete("Deployment", namespace, desired.worker_name(name)):
        kopf.info(body, reason="Deleted", message=f"Deployment {desired.worker_name(name)}: worker.replicas is 0")
    for child in children:
        kopf.adopt(child, owner=body)  # owner references: deleting the source deletes them
        outcome, drifted = kube.apply(child)
        registry.reconciles.labels(kind="IngestionSource", outcome=outcome).inc()
        if outcome == "created":
            kopf.info(body, reason="Created", message=f"{child['kind']} {child['metadata']['name']}")
        elif drifted:
            kopf.warn(body, reason="DriftCorrected", message=f"{child['kind']} {child['metadata']['name']}: put back {', '.join(drifted[:5])}")
    last_schedule, last_success = cronjob_times(kube.read("CronJob", namespace, desired.cronjob_name(name)) or {})
    with database() as conn:
        fresh = source_freshness(conn, source.type)
    patch.status.update({
        "observedGeneration": generation, "cronJobName": desired.cronjob_name(name),
        "workerDeploymentName": desired.worker_name(name) if source.worker.replicas > 0 else None,
        "lastRunTime": iso(fresh["last_run_at"]) or last_schedule, "lastRunStatus": fresh["last_run_status"],
        "lastSuccessTime": iso(fresh["last_success_at"]) or last_success, "lagSeconds": fresh["lag_seconds"],
        "conditions": ready(status, generation, "suspended" if source.suspend else f"scheduled {source.schedule} ({source.time_zone})"),
    })
