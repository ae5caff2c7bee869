"""The workspace's audit log for owners and admins: filtered by action, person and dates,
paged, and downloadable as CSV. Thin over services.audit.log."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.api.deps import Admin
from services.api.schemas import AuditChoices, AuditPage
from services.audit import log

router = APIRouter(prefix="/v1", tags=["audit log"])
Action = Annotated[str | None, Query(max_length=60, pattern=r"^[a-z_]+(\.[a-z_]+)?$", description="an action, or its family (webhook)")]
Actor = Annotated[uuid.UUID | None, Query(description="a person's user id")]
Day = Annotated[date | None, Query()]


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first")
def audit_log(ctx: Admin, action: Action = None, actor: Actor = None, since: Day = None, until: Day = None,
              before: Annotated[int | None, Query(ge=1, description="next_before of the previous page")] = None,
              limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    return log.page(ctx.cur, log.Filters(action, actor, since, until), limit, before)


@router.get("/audit/choices", response_model=AuditChoices, summary="The actions and people in the audit log, for its filters")
def audit_choices(ctx: Admin) -> dict:
    return log.choices(ctx.cur)


@router.get("/audit.csv", response_model=None, response_class=Response, summary="The audit log as CSV (same filters; at most 100,000 entries)",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def audit_csv(ctx: Admin, action: Action = None, actor: Actor = None, since: Day = None, until: Day = None) -> Response:
    body = "".join(log.csv_lines(ctx.cur, log.Filters(action, actor, since, until)))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="audit-log-{date.today().isoformat()}.csv"',
                             "Cache-Control": "private, no-store"})
