"""The /v1 contract is frozen by the committed snapshot `docs/api/openapi-v1.json`: the app's
document may add to it, never break it (services.api.compat says what breaks), and every /v1
operation the app serves is in the snapshot, so a new one is frozen the day it ships
(`permitwatch openapi > docs/api/openapi-v1.json` after an addition)."""

from __future__ import annotations

import json

from services.api.app import openapi_document
from services.api.compat import METHODS, breaking_changes
from services.settings import REPO_ROOT

SNAPSHOT = REPO_ROOT / "docs" / "api" / "openapi-v1.json"


def test_the_served_contract_breaks_nothing_in_the_frozen_snapshot():
    assert breaking_changes(json.loads(SNAPSHOT.read_text()), openapi_document()) == []


def test_every_v1_operation_served_is_in_the_snapshot():
    frozen = json.loads(SNAPSHOT.read_text())["paths"]
    served = {(p, m) for p, ops in openapi_document()["paths"].items() if p.startswith("/v1/") for m in ops if m in METHODS}
    missing = sorted(f"{m.upper()} {p}" for p, m in served if m not in frozen.get(p, {}))
    assert missing == [], "add them to the snapshot: permitwatch openapi > docs/api/openapi-v1.json"
