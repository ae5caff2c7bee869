"""PURE: what the operator observed -> the phase, conditions and figures it reports, and
what it must do next (which chunk Jobs to start, which fields drifted)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


def condition(kind: str, ok: bool | None, reason: str, message: str, now: datetime, generation: int | None,
              previous: list[dict] | None = None) -> dict:
    """A Kubernetes condition; its transition time moves only when its status does."""
    status = "Unknown" if ok is None else ("True" if ok else "False")
    since = now.isoformat().replace("+00:00", "Z")
    for old in previous or ():
        if old.get("type") == kind and old.get("status") == status and old.get("lastTransitionTime"):
            since = old["lastTransitionTime"]
    out = {"type": kind, "status": status, "reason": reason, "message": message, "lastTransitionTime": since}
    if generation is not None:
        out["observedGeneration"] = generation
    return out


def merge_conditions(previous: list[dict] | None, *new: dict) -> list[dict]:
    kinds = {c["type"] for c in new}
    return [c for c in previous or () if c.get("type") not in kinds] + list(new)


def drift(desired, observed, path: str = "") -> list[str]:
    """Paths where the observed object differs from what the operator wants. Keys the API
    server adds (defaults, status) are not drift; a changed, missing or extra list item is."""
    if isinstance(desired, dict):
        if not isinstance(observed, dict):
            return [path or "."]
        return [p for k, v in desired.items() for p in drift(v, observed.get(k), f"{path}.{k}" if path else k)]
    if isinstance(desired, list):
        if not isinstance(observed, list) or len(desired) != len(observed):
            return [path]
        return [p for i, (d, o) in enumerate(zip(desired, observed, strict=True)) for p in drift(d, o, f"{path}[{i}]")]
    return [] if desired == observed else [path]


def job_state(job: dict) -> str:
    """'succeeded', 'failed' or 'active' for a batch/v1 Job as observed."""
    st = job.get("status") or {}
    for c in st.get("conditions") or ():
        if c.get("status") == "True" and c.get("type") in ("Complete", "SuccessCriteriaMet"):
            return "succeeded"
        if c.get("status") == "True" and c.get("type") in ("Failed", "FailureTarget"):
            return "failed"
    return "succeeded" if (st.get("succeeded") or 0) > 0 and not st.get("active") else "active"


@dataclass
class BackfillStep:
    phase: str
    start: list[int] = field(default_factory=list)
    done: int = 0
    failed: int = 0
    running: int = 0


def backfill_step(total: int, states: dict[int, str], parallelism: int, ordered: bool) -> BackfillStep:
    """Chunks start lowest index first. An ordered source stops at its first failed chunk
    (a later snapshot would be promoted over the gap); others carry on around it."""
    done = sum(1 for s in states.values() if s == "succeeded")
    failed = sum(1 for s in states.values() if s == "failed")
    running = sum(1 for s in states.values() if s == "active")
    step = BackfillStep("Running", done=done, failed=failed, running=running)
    if done == total:
        step.phase = "Succeeded"
        return step
    if failed and ordered:
        step.phase = "Failed"
        return step
    pending = [i for i in range(total) if i not in states]
    step.start = pending[: max(0, parallelism - running)]
    if not step.start and not running:
        step.phase = "Failed"  # every chunk finished and some failed
    return step


def usage_text(used: int, limit: int | None) -> str:
    return f"{used}/{'unlimited' if limit is None else limit}"


def cronjob_times(cronjob: dict) -> tuple[str | None, str | None]:
    st = cronjob.get("status") or {}
    return st.get("lastScheduleTime"), st.get("lastSuccessfulTime")
