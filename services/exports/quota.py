"""The plan's daily export limit (reports count as exports; a WorkspaceQuota may set
another), with a message that says when more can start and which plan allows more."""

from __future__ import annotations

import uuid

import psycopg

from services.entitlements import checks as account
from services.entitlements.plans import cheapest_with
from services.errors import DomainError
from services.settings import Settings


class ExportQuotaSpent(DomainError):
    pass


def check_quota(cur: psycopg.Cursor, settings: Settings, workspace_id: uuid.UUID) -> None:
    ent = account.now_for(cur, workspace_id)
    limit = ent.limits.exports_per_day
    used = cur.execute("SELECT count(*) FROM export_jobs WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
                       ).fetchone()[0]
    if used >= limit:
        better = cheapest_with(limit="exports_per_day", at_least=limit + 1)
        more = f", or move to {better.name} for {better.limits.exports_per_day} a day" if better and better.code != ent.plan.code else ""
        raise ExportQuotaSpent(f"this workspace has started its {limit} exports for today (UTC); more can start after midnight UTC{more}")
