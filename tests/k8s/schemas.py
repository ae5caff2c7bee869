"""Offline validation helpers: custom resources against the CRDs' openAPIV3Schema (with
the Kubernetes extensions translated to JSON Schema), API server defaulting, and built-in
kinds against the official Kubernetes schemas (kubernetes-validate)."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from services.settings import REPO_ROOT

CRDS = REPO_ROOT / "crds"
K8S_VERSION = "1.34.0"  # a current release (bundled schemas reach 1.37)


def load_yaml(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def crds() -> dict[str, dict]:
    return {doc["spec"]["names"]["kind"]: doc for path in sorted(CRDS.glob("*.yaml")) for doc in load_yaml(path)}


def crd_schema(kind: str) -> dict:
    (version,) = [v for v in crds()[kind]["spec"]["versions"] if v["storage"]]
    return version["schema"]["openAPIV3Schema"]


def _translate(node, strict: bool):
    if isinstance(node, list):
        return [_translate(n, strict) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _translate(v, strict) for k, v in node.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if (strict and out.get("type") == "object" and "properties" in out and "additionalProperties" not in out
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False  # the API server's fieldValidation=Strict
    return out


def cr_errors(obj: dict, strict: bool = True) -> list[str]:
    """Every schema error of a custom resource (its spec and status; the API server checks
    apiVersion, kind and metadata itself)."""
    schema = _translate(crd_schema(obj["kind"]), strict)
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return sorted(f"{'.'.join(map(str, e.absolute_path)) or '.'}: {e.message}" for e in validator.iter_errors(body))


def defaulted(obj: dict) -> dict:
    """The object as the API server stores it: schema defaults filled in, recursively."""
    out = copy.deepcopy(obj)
    _default(crd_schema(obj["kind"]), out)
    return out


def _default(schema: dict, value) -> None:
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                _default(sub, value[key])
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            _default(schema["items"], item)


def k8s_errors(manifest: dict) -> list[str]:
    """The official schema of a built-in kind, strict (unknown fields are errors)."""
    try:
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{manifest['kind']} {manifest['metadata'].get('name')}: {'.'.join(map(str, exc.path))}: {exc.message}"]
    return []
