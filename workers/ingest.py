"""RQ job: one ingestion run. Primitive arguments only; settings and connections are made
inside the job (after the worker forked)."""

from __future__ import annotations

from services.ingestion.pipeline import ingest
from services.settings import get_settings


def run(uri: str, source: str = "rrc_daf420", force: bool = False) -> dict:
    result = ingest(get_settings(), uri, source=source, force=force)
    return {"run_id": str(result.run_id), "status": result.status, "promoted": result.promoted,
            "changes": result.metrics.get("changes", 0), "reason": result.reason}
