"""PURE: IngestionSource -> its CronJob (per tick, a poll of its RRC share, or one atomic
`permitwatch ingest file` run of a path or URL)
and the RQ worker Deployment serving the source's queue."""

from __future__ import annotations

from controllers.desired.common import METRICS_PORT, Cluster, child_name, container, labels, pod_spec
from controllers.specs import QA_FIELDS, SourceSpec


def cronjob_name(source: str) -> str:
    return child_name(source, "ingest", 52)


def worker_name(source: str) -> str:
    return child_name(source, "worker")


def qa_env(spec: SourceSpec) -> dict[str, str]:
    return {f"PERMITWATCH_QA_{QA_FIELDS[k]}": repr(v) for k, v in sorted(spec.qa.items())}


def command(spec: SourceSpec) -> list[str]:
    """An RRC share is polled (one small page when nothing is new); a path or URL is read."""
    if spec.godrive:
        return ["permitwatch", "sources", "poll", "--source", spec.type, "--share", spec.godrive.share_id,
                "--pattern", spec.godrive.file_pattern]
    return ["permitwatch", "ingest", "file", *([spec.location] if spec.location else []), "--source", spec.type]


def cronjob(name: str, namespace: str, spec: SourceSpec, cluster: Cluster) -> dict:
    lab = labels("ingest", source=name)
    env = {**qa_env(spec), **({"PERMITWATCH_RRC_GODRIVE_URL": spec.godrive.url} if spec.godrive and spec.godrive.url else {})}
    pod = pod_spec(cluster, [container(cluster, "ingest", command(spec), image=spec.worker.image, env=env,
                                       resources=spec.worker.resources or None)], restart="Never")
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": cronjob_name(name), "namespace": namespace, "labels": lab},
            "spec": {"schedule": spec.schedule, "timeZone": spec.time_zone, "suspend": spec.suspend,
                     # two runs of one source at once would race for the same snapshot
                     "concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 600,
                     "successfulJobsHistoryLimit": spec.history_limit, "failedJobsHistoryLimit": spec.history_limit,
                     "jobTemplate": {"metadata": {"labels": lab},
                                     "spec": {"backoffLimit": 2, "activeDeadlineSeconds": 3600, "ttlSecondsAfterFinished": 86400,
                                              "template": {"metadata": {"labels": lab}, "spec": pod}}}}}


def worker_deployment(name: str, namespace: str, spec: SourceSpec, cluster: Cluster) -> dict:
    lab = labels("worker", source=name, queue=spec.worker.queue)
    env = {**qa_env(spec), "PERMITWATCH_METRICS_PORT": str(METRICS_PORT)}
    main = container(cluster, "worker", ["python", "-m", "workers", "--queues", spec.worker.queue], image=spec.worker.image, env=env,
                     resources=spec.worker.resources or None, ports=[{"name": "metrics", "containerPort": METRICS_PORT}])
    # The worker has no HTTP of its own; its metrics listener answering is the sign of life.
    main["livenessProbe"] = {"httpGet": {"path": "/metrics", "port": "metrics"}, "periodSeconds": 30, "failureThreshold": 4}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": worker_name(name), "namespace": namespace, "labels": lab},
            "spec": {"replicas": spec.worker.replicas, "selector": {"matchLabels": lab},
                     "template": {"metadata": {"labels": lab, "annotations": {"prometheus.io/port": str(METRICS_PORT)}},
                                  "spec": {**pod_spec(cluster, [main], restart="Always"), "terminationGracePeriodSeconds": 120}}}}
