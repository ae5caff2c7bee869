"""The Helm chart, rendered and linted by real Helm (the Helm SDK through helm-python-sdk,
offline): every object valid for Kubernetes, every command one the image really has, the
CRDs the same as crds/, the rules the same as the promtool-tested file, values checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import helm_python as helm
import pytest
import yaml

from services.settings import REPO_ROOT
from tests.k8s.schemas import k8s_errors

CHART = REPO_ROOT / "charts" / "permitwatch"
BUILTIN_GROUPS = ("v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "rbac.authorization.k8s.io/v1")


def render(values: dict | None = None, namespace: str = "permits") -> list[dict]:
    helm.disable_logging()
    chart = helm.Chart.load(str(CHART))
    files = chart.render(values or {}, name="pw", namespace=namespace, is_install=True)
    return [d for path, text in sorted(files.items()) if path.endswith(".yaml") for d in yaml.safe_load_all(text) if d]


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_lint_is_clean():
    result = helm.lint(str(CHART))
    assert result["errors"] == []
    assert [m for m in result["messages"] if m["severity"] > 1] == []  # info only (an icon)


@pytest.mark.parametrize("values", [
    {},
    {"web": {"hpa": {"enabled": True}}, "workers": {"deliver": {"hpa": {"enabled": True}}, "export": {"enabled": True}}},
    {"operator": {"watchNamespace": "permits"}, "secrets": {"create": True, "values": {"PERMITWATCH_SECRET_KEY": "x"}}},
], ids=["defaults", "autoscaling", "one-namespace"])
def test_every_rendered_object_is_valid_kubernetes(values):
    docs = render(values)
    builtin = [d for d in docs if d["apiVersion"] in BUILTIN_GROUPS]
    assert len(builtin) > 15
    assert [e for d in builtin for e in k8s_errors(d)] == []
    assert {d["apiVersion"] for d in docs} - set(BUILTIN_GROUPS) == {"monitoring.coreos.com/v1"}


def test_components_and_their_probes():
    docs = render()
    deployments = by_kind(docs, "Deployment")
    # One process kind evaluates, one delivers; no RQ pool for a queue that nothing feeds
    # (exports feed theirs; ingestion is fed by the operator's CronJobs, which run their own pods).
    assert set(deployments) == {"pw-permitwatch-web", "pw-permitwatch-tiles", "pw-permitwatch-worker-evaluate",
                                "pw-permitwatch-worker-deliver", "pw-permitwatch-worker-export", "pw-permitwatch-operator"}
    commands = {n: d["spec"]["template"]["spec"]["containers"][0]["command"] for n, d in deployments.items()}
    assert commands["pw-permitwatch-worker-evaluate"][-1] == "--no-deliver" and commands["pw-permitwatch-worker-deliver"][-1] == "--no-evaluate"
    assert commands["pw-permitwatch-worker-export"] == ["permitwatch", "exports", "worker"]
    assert not any("workers" in c for c in commands.values())  # the ingest RQ pool is off by default
    for name, dep in deployments.items():
        (c,) = dep["spec"]["template"]["spec"]["containers"]
        assert c["livenessProbe"], name
        assert c["resources"]["requests"] and c["resources"]["limits"]["memory"], name
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"secretRef": {"name": "permitwatch-env"}} in c["envFrom"]
    web = deployments["pw-permitwatch-web"]["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert set(by_kind(docs, "PodDisruptionBudget")) == {"pw-permitwatch-web", "pw-permitwatch-tiles", "pw-permitwatch-worker-deliver"}
    assert by_kind(docs, "HorizontalPodAutoscaler") == {}
    evaluate = deployments["pw-permitwatch-worker-evaluate"]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "PERMITWATCH_METRICS_PLATFORM", "value": "true"} in evaluate["env"]
    (hook,) = by_kind(docs, "Job").values()
    assert hook["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"


def test_hpa_replaces_fixed_replicas():
    docs = render({"web": {"hpa": {"enabled": True, "minReplicas": 3, "maxReplicas": 9}}})
    hpa = by_kind(docs, "HorizontalPodAutoscaler")["pw-permitwatch-web"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 9)
    assert "replicas" not in by_kind(docs, "Deployment")["pw-permitwatch-web"]["spec"]


def test_every_command_exists_in_the_image():
    every_pool = {"workers": {"export": {"enabled": True}, "ingest": {"enabled": True}}}
    commands = {tuple(c["command"]) for d in render(every_pool) if d["kind"] in ("Deployment", "Job")
                for c in d["spec"]["template"]["spec"]["containers"]}
    assert len(commands) == 7
    for command in commands:
        if command[0] == "kopf":
            module = command[command.index("-m") + 1]
            argv = [sys.executable, "-c", f"import {module}"]
        elif command[0] == "python":
            argv = [sys.executable, *command[1:3], "--help"]
        else:
            argv = [str(Path(sys.executable).parent / "permitwatch"), *[a for a in command[1:] if not a.startswith("-")][:2], "--help"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (command, result.stderr[-2000:])
        for flag in (a.split("=")[0] for a in command if a.startswith("--") and command[0] == "permitwatch"):
            assert flag in result.stdout, (command, flag)


def test_operator_rbac_is_least_privilege():
    docs = render()
    role = by_kind(docs, "ClusterRole")["pw-permitwatch-operator"]
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"]
        assert not {"update", "deletecollection", "escalate", "bind"} & set(rule["verbs"])
    rules = {(g, r): set(rule["verbs"]) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    assert rules[("batch", "cronjobs")] == {"get", "list", "watch", "create", "patch", "delete"}
    assert rules[("permitwatch.io", "ingestionsources/status")] == {"get", "patch"}
    assert ("", "secrets") not in rules
    for name, sa in by_kind(docs, "ServiceAccount").items():
        assert sa.get("automountServiceAccountToken") is (False if not name.endswith("operator") else None)
    namespaced = render({"operator": {"watchNamespace": "permits"}})
    assert "pw-permitwatch-operator" in by_kind(namespaced, "Role") and "pw-permitwatch-operator" not in by_kind(namespaced, "ClusterRole")
    op = by_kind(namespaced, "Deployment")["pw-permitwatch-operator"]["spec"]["template"]["spec"]["containers"][0]
    assert "--namespace=permits" in op["command"] and "--all-namespaces" not in op["command"]


def test_operator_config_reaches_the_pods_it_creates():
    docs = render({"image": {"repository": "registry.example/permitwatch", "tag": "1.2.3"}})
    config = by_kind(docs, "ConfigMap")["pw-permitwatch-config"]["data"]
    assert config["PERMITWATCH_K8S_IMAGE"] == "registry.example/permitwatch:1.2.3"
    assert config["PERMITWATCH_K8S_SERVICE_ACCOUNT"] in by_kind(docs, "ServiceAccount")
    assert config["PERMITWATCH_K8S_ENV_CONFIGMAP"] == "pw-permitwatch-config"
    from services.settings import Settings
    s = Settings(_env_file=None, **{k.removeprefix("PERMITWATCH_").lower(): v for k, v in config.items()})
    assert s.k8s_image == "registry.example/permitwatch:1.2.3" and s.operator_resync_seconds == 60


def test_crds_and_rules_are_the_tested_files():
    chart = helm.Chart.load(str(CHART))
    for crd in chart.crds:
        assert crd["data"] == (REPO_ROOT / "crds" / Path(crd["name"]).name).read_text()
    assert len(chart.crds) == 3
    rule = next(iter(by_kind(render(), "PrometheusRule").values()))
    assert rule["spec"] == yaml.safe_load((CHART / "files" / "prometheus" / "alerts.yaml").read_text())
    monitor = next(iter(by_kind(render(), "ServiceMonitor").values()))
    assert {e["port"] for e in monitor["spec"]["endpoints"]} == {"http", "metrics"}


@pytest.mark.parametrize("values, field", [
    ({"web": {"replicas": "two"}}, "replicas"),
    ({"secrets": {"existingSecret": ""}}, "existingSecret"),
    ({"config": {"DATABASE_URL": "x"}}, "DATABASE_URL"),
    ({"workers": {"ingest": {"command": []}}}, "command"),
])
def test_values_schema_refuses_bad_values(values, field):
    with pytest.raises(helm.HelmError) as err:
        render(values)
    assert field in str(err.value)
