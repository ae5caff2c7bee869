"""The WorkspaceQuota's daily export limit (reports count as exports), with a message that
says when more can start."""

from __future__ import annotations

import uuid

import psycopg

from services.errors import DomainError
from services.settings import Settings


class ExportQuotaSpent(DomainError):
    pass


def check_quota(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID) -> None:
    limit = cur.execute("SELECT exports_per_day FROM workspace_quotas WHERE workspace_id = %s", (workspace_id,)).fetchone()
    limit = limit[0] if limit and limit[0] is not None else settings.export_default_per_day
    used = cur.execute("SELECT count(*) FROM export_jobs WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
                       ).fetchone()[0]
    if used >= limit:
        raise ExportQuotaSpent(f"this workspace has started its {limit} exports for today (UTC); more can start after midnight UTC, "
                               "or an owner can raise the limit")
