"""PURE: BackfillJob -> its chunks, and the Kubernetes Job that runs one chunk with
`permitwatch ingest backfill`. Chunks are contiguous and named by their index, so the
same resource always asks for the same Jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from controllers.desired.common import Cluster, child_name, container, labels, pod_spec
from controllers.desired.ingestion import qa_env
from controllers.specs import ORDERED_SOURCES, BackfillSpec, SourceSpec


@dataclass(frozen=True)
class Chunk:
    index: int
    start: date | None = None
    end: date | None = None
    files: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.start}..{self.end}" if self.start else f"{len(self.files)} files"


def chunks(spec: BackfillSpec) -> list[Chunk]:
    if spec.files:
        step = spec.chunk_days
        return [Chunk(i, files=spec.files[k:k + step]) for i, k in enumerate(range(0, len(spec.files), step))]
    out, day, i = [], spec.start, 0
    while day <= spec.end:
        last = min(day + timedelta(days=spec.chunk_days - 1), spec.end)
        out.append(Chunk(i, day, last))
        day, i = last + timedelta(days=1), i + 1
    return out


def effective_parallelism(spec: BackfillSpec, source: SourceSpec) -> int:
    """Snapshots of an ordered source build a version history oldest first, so its chunks
    run one at a time, whatever was asked."""
    return 1 if source.type in ORDERED_SOURCES else spec.parallelism


def job_name(backfill: str, index: int) -> str:
    return child_name(backfill, f"c{index:03d}")


def job(name: str, namespace: str, chunk: Chunk, spec: BackfillSpec, source: SourceSpec, cluster: Cluster) -> dict:
    command = ["permitwatch", "ingest", "backfill", "--source", source.type]
    if chunk.files:
        command += [arg for f in chunk.files for arg in ("--file", f)]
    else:
        command += [spec.folder, "--from", chunk.start.isoformat(), "--to", chunk.end.isoformat()]
    if spec.force:
        command.append("--force")
    volumes, mounts = [], []
    if spec.volume.get("persistentVolumeClaim"):
        volumes.append({"name": "files", "persistentVolumeClaim": {"claimName": spec.volume["persistentVolumeClaim"], "readOnly": True}})
    elif spec.volume.get("configMap"):
        volumes.append({"name": "files", "configMap": {"name": spec.volume["configMap"]}})
    if volumes:
        mounts.append({"name": "files", "mountPath": spec.folder, "readOnly": True})
    lab = labels("backfill", backfill=name, chunk=str(chunk.index))
    pod = pod_spec(cluster, [container(cluster, "backfill", command, image=source.worker.image, env=qa_env(source),
                                       resources=source.worker.resources or None, mounts=mounts)], restart="Never", volumes=volumes)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": job_name(name, chunk.index), "namespace": namespace, "labels": lab,
                                                                  "annotations": {"permitwatch.io/chunk": chunk.label}},
            "spec": {"backoffLimit": spec.backoff_limit, "ttlSecondsAfterFinished": 7 * 86400,
                     "template": {"metadata": {"labels": lab}, "spec": pod}}}
