"""PURE: what every pod the operator creates shares: names, labels, the image and its
configuration (a Secret and a ConfigMap the chart installs), a locked-down container."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

GROUP = "permitwatch.io"
MANAGED_BY = "permitwatch-operator"
METRICS_PORT = 9100


@dataclass(frozen=True)
class Cluster:
    """Deployment facts the operator gets from its settings, not from the resources."""

    image: str = "permitwatch:dev"
    pull_policy: str = "IfNotPresent"
    env_secret: str = "permitwatch-env"
    env_configmap: str = "permitwatch-config"
    service_account: str = "permitwatch-jobs"


def child_name(parent: str, suffix: str, limit: int = 63) -> str:
    """`<parent>-<suffix>`, shortened with a stable hash when it would pass the limit
    (CronJob names: 52, so that the Jobs it names stay within 63)."""
    name = f"{parent}-{suffix}"
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{parent[: limit - len(suffix) - 10].rstrip('-')}-{digest}-{suffix}"


def labels(component: str, **extra: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "permitwatch", "app.kubernetes.io/component": component,
            "app.kubernetes.io/managed-by": MANAGED_BY, **{f"{GROUP}/{k}": v for k, v in extra.items()}}


def container(cluster: Cluster, name: str, command: list[str], *, image: str | None = None, env: dict[str, str] | None = None,
              resources: dict | None = None, mounts: list[dict] | None = None, ports: list[dict] | None = None) -> dict:
    c = {"name": name, "image": image or cluster.image, "imagePullPolicy": cluster.pull_policy, "command": command,
         "env": [{"name": k, "value": v} for k, v in sorted((env or {}).items())]
         + [{"name": "PERMITWATCH_DATA_DIR", "value": "/work/data"}],
         "envFrom": [{"secretRef": {"name": cluster.env_secret}}, {"configMapRef": {"name": cluster.env_configmap}}],
         "resources": resources or {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
         "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                             "capabilities": {"drop": ["ALL"]}},
         "volumeMounts": [{"name": "work", "mountPath": "/work"}, *(mounts or [])]}
    if ports:
        c["ports"] = ports
    return c


def pod_spec(cluster: Cluster, containers: list[dict], *, restart: str, volumes: list[dict] | None = None) -> dict:
    return {"serviceAccountName": cluster.service_account, "restartPolicy": restart, "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": containers, "volumes": [{"name": "work", "emptyDir": {}}, *(volumes or [])]}
