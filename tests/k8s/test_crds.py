"""The CRDs are valid apiextensions/v1 objects, structural, with what `kubectl get` shows;
the samples validate against them; bad resources are refused with every reason."""

from __future__ import annotations

import re

import pytest

from controllers import specs
from tests.k8s.schemas import CRDS, cr_errors, crds, defaulted, k8s_errors, load_yaml

SAMPLES = sorted((CRDS / "samples").glob("*.yaml"))


def test_three_kinds_in_the_permitwatch_group_one_file_each():
    found = crds()
    assert set(found) == {"IngestionSource", "BackfillJob", "WorkspaceQuota"}
    for kind, crd in found.items():
        assert crd["spec"]["group"] == "permitwatch.io"
        assert crd["metadata"]["name"] == f"{crd['spec']['names']['plural']}.permitwatch.io"
        assert crd["spec"]["names"]["shortNames"], kind
        (version,) = crd["spec"]["versions"]
        assert version["subresources"] == {"status": {}}
        assert k8s_errors(crd) == []


def _schema_nodes(node, path=""):
    yield path, node
    for key, sub in (node.get("properties") or {}).items():
        yield from _schema_nodes(sub, f"{path}.{key}")
    if isinstance(node.get("items"), dict):
        yield from _schema_nodes(node["items"], f"{path}[]")


@pytest.mark.parametrize("kind", ["IngestionSource", "BackfillJob", "WorkspaceQuota"])
def test_schemas_are_structural_and_printer_columns_point_at_fields(kind):
    crd = crds()[kind]
    version = crd["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    for path, node in _schema_nodes(schema):
        # structural: every node has a type, unless it explicitly keeps unknown fields
        assert "type" in node or node.get("x-kubernetes-preserve-unknown-fields"), path
    known = {p for p, _ in _schema_nodes(schema)}
    for column in version["additionalPrinterColumns"]:
        path = re.sub(r"\[\?\(.*\)\]", "[]", column["jsonPath"])
        path = path.split("[]")[0] if "[]" in path else path
        assert path in known or path == ".metadata.creationTimestamp", column


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples_validate_against_their_crd(path):
    (doc,) = load_yaml(path)
    assert doc["apiVersion"] == "permitwatch.io/v1"
    assert cr_errors(defaulted(doc)) == []


def test_bad_resources_get_every_reason():
    bad = {"apiVersion": "permitwatch.io/v1", "kind": "IngestionSource", "metadata": {"name": "x"},
           "spec": {"type": "RRC Daily", "schedule": "often", "worker": {"replicas": -1, "queue": "Ingest"}, "typo": 1,
                    "qa": {"countDropFail": 2}}}
    errors = cr_errors(defaulted(bad))
    assert any(e.startswith("spec.type:") for e in errors)
    assert any(e.startswith("spec.schedule:") for e in errors)
    assert any(e.startswith("spec.worker.replicas:") for e in errors)
    assert any(e.startswith("spec.worker.queue:") for e in errors)
    assert any(e.startswith("spec.qa.countDropFail:") for e in errors)
    assert any("typo" in e for e in errors)
    quota = {"kind": "WorkspaceQuota", "spec": {"workspaceId": "acme", "smsPerMonth": -5}}
    assert [e.split(":")[0] for e in cr_errors(quota)] == ["spec.smsPerMonth", "spec.workspaceId"]
    assert cr_errors({"kind": "BackfillJob", "spec": {"from": "July", "to": "2026-07-31"}}) == [
        "spec.from: 'July' is not a 'date'", "spec: 'sourceRef' is a required property"]


def test_operator_defaults_match_the_crd_defaults():
    """The operator parses specs as the API server stores them, and also without its
    defaulting (an emulator, an old object): both must mean the same."""
    for kind, parse in (("IngestionSource", specs.source_spec), ("WorkspaceQuota", specs.quota_spec)):
        minimal = {"kind": kind, "spec": {"type": "rrc_daf420"} if kind == "IngestionSource"
                   else {"workspaceId": "7d4f6c0e-2b1a-4c59-9a0e-3f1d2c4b5a69"}}
        assert parse(defaulted(minimal)["spec"]) == parse(minimal["spec"])
    from datetime import date
    minimal = {"kind": "BackfillJob", "spec": {"sourceRef": {"name": "s"}, "from": "2026-07-01", "to": "2026-07-02"}}
    assert specs.backfill_spec(defaulted(minimal)["spec"], date(2026, 8, 1)) == specs.backfill_spec(minimal["spec"], date(2026, 8, 1))
