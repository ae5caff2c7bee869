"""BackfillJob -> chunk Jobs started in order; progress from the Jobs and the run log."""

from __future__ import annotations

import kopf

from controllers import kube, specs
from controllers.desired import backfill as desired
from controllers.handlers.common import GROUP, VERSION, already_invalid, context, database, invalid, iso, now, parse_iso
from controllers.status import backfill_step, condition, job_state, merge_conditions
from services.ingestion.backfill import progress
from services.metrics import registry

PLURAL = "backfilljobs"
FINISHED = ("Succeeded", "Failed")


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL)
def backfill_changed(body, spec, name, namespace, meta, status, patch, **_):
    reconcile(body, spec, name, namespace, meta, status, patch)


@kopf.timer(GROUP, VERSION, PLURAL, interval=context()[0].operator_resync_seconds, idle=5)
def backfill_resync(body, spec, name, namespace, meta, status, patch, **_):
    generation = meta.get("generation")
    if already_invalid(status, generation) or (status.get("phase") in FINISHED and status.get("observedGeneration") == generation):
        return
    reconcile(body, spec, name, namespace, meta, status, patch)


def reconcile(body, spec, name, namespace, meta, status, patch) -> None:
    generation, at = meta.get("generation"), now()
    try:
        backfill = specs.backfill_spec(dict(spec), at.date())
        parent = kube.read_custom("ingestionsources", namespace, backfill.source_name)
        if parent is None:
            raise specs.Invalid("SourceNotFound", f"IngestionSource {backfill.source_name!r} does not exist in {namespace}")
        source = specs.source_spec(parent.get("spec") or {})
    except specs.Invalid as exc:
        invalid("BackfillJob", body, status, patch, exc, generation)
        patch.status["phase"] = "Invalid"  # an edit that breaks a running backfill stops it starting chunks
        return
    chunks = desired.chunks(backfill)
    jobs = {int(j["metadata"]["labels"]["permitwatch.io/chunk"]): j for j in kube.list_jobs(namespace, {"permitwatch.io/backfill": name})}
    for index, job in sorted(jobs.items()):
        # A Job's pod template cannot change: a chunk the edited spec no longer has, or
        # has with other days or files, goes; the step below starts its replacement.
        if index >= len(chunks) or job["metadata"].get("annotations", {}).get("permitwatch.io/chunk") != chunks[index].label:
            kube.delete("Job", namespace, job["metadata"]["name"])
            kopf.info(body, reason="ChunkRemoved", message=f"Job {job['metadata']['name']}: not in the current spec")
            del jobs[index]
    states = {i: job_state(j) for i, j in jobs.items()}
    ordered = source.type in specs.ORDERED_SOURCES
    step = backfill_step(len(chunks), states, desired.effective_parallelism(backfill, source), ordered)
    _, cluster = context()
    for index in step.start:
        job = desired.job(name, namespace, chunks[index], backfill, source, cluster)
        kopf.adopt(job, owner=body)
        outcome, _ = kube.apply(job)
        registry.reconciles.labels(kind="BackfillJob", outcome=outcome).inc()
        kopf.info(body, reason="ChunkStarted", message=f"chunk {index + 1}/{len(chunks)} ({chunks[index].label}): Job {job['metadata']['name']}")
        step.running += 1
    started = status.get("startedAt") or iso(at)
    with database() as conn:
        done = progress(conn, source.type, parse_iso(started), backfill.start, backfill.end, backfill.files)
    errors = [f"{j['metadata']['name']} ({chunks[i].label}): {_failure(j)}" for i, j in sorted(jobs.items()) if states[i] == "failed"]
    if step.phase != status.get("phase") and step.phase in FINISHED:
        (kopf.info if step.phase == "Succeeded" else kopf.warn)(
            body, reason=f"Backfill{step.phase}", message=f"{step.done}/{len(chunks)} chunks, {done['files']} files, {done['permits']} permits")
    conditions = [condition("Ready", True, "Reconciled", f"{len(chunks)} chunks for {backfill.source_name}",
                            at, generation, status.get("conditions")),
                  condition("Complete", step.phase == "Succeeded", step.phase, f"{step.done} of {len(chunks)} chunks done, {step.failed} failed",
                            at, generation, status.get("conditions"))]
    if backfill.parallelism > 1 and ordered:
        conditions.append(condition("ParallelismLimited", True, "OrderedSource",
                                    f"{source.type} snapshots are promoted oldest first, so chunks run one at a time "
                                    f"(parallelism {backfill.parallelism} asked)", at, generation, status.get("conditions")))
    patch.status.update({
        "observedGeneration": generation, "phase": step.phase, "startedAt": started,
        "finishedAt": (status.get("finishedAt") or iso(at)) if step.phase in FINISHED else None,
        "jobs": [desired.job_name(name, i) for i in sorted({*jobs, *step.start})],
        "progress": {"summary": f"{step.done}/{len(chunks)}", "chunks": len(chunks), "chunksDone": step.done, "chunksFailed": step.failed,
                     "files": done["files"], "filesFailed": done["files_failed"], "permits": done["permits"]},
        "errors": errors[:20],
        "conditions": merge_conditions(status.get("conditions"), *conditions),
    })


def _failure(job: dict) -> str:
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Failed":
            return c.get("message") or c.get("reason") or "failed"
    return "failed"
