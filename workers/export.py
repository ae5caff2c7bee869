"""RQ entry point for the `export` queue: one export job (services.exports.jobs.run)."""

from __future__ import annotations

import uuid

from services.exports import jobs
from services.settings import get_settings


def run(job_id: str, workspace_id: str) -> str:
    return jobs.run(get_settings(), uuid.UUID(job_id), uuid.UUID(workspace_id))
