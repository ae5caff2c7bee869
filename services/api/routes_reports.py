"""AOI Activity Reports (/v1/reports, /v1/report-schedules): make one now, or keep a weekly
or monthly schedule that mails it. A report is an export job: it is followed, listed and
downloaded through /v1/exports. Thin over the report modules of services.exports."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Response

from services.api.deps import Exporter, Member
from services.api.schemas import ExportOut, ReportIn, ReportScheduleIn, ReportScheduleOut, ReportSchedulePatch
from services.exports import jobs
from services.exports import report_jobs as reports
from services.exports import report_schedules as schedules

router = APIRouter(prefix="/v1", tags=["reports"])


@router.post("/reports", response_model=ExportOut, status_code=201, summary="Make an AOI Activity Report for an area and period")
def create_report(body: ReportIn, ctx: Exporter, background: BackgroundTasks) -> dict:
    job = reports.ask(ctx.cur, ctx.settings, ctx.workspace_id, ctx.acting_user, body.aoi_id, body.start, body.end, body.recipients)
    background.add_task(jobs.enqueue, ctx.settings, job, ctx.workspace_id)
    return jobs.get_job(ctx.cur, ctx.settings, ctx.workspace_id, job)


@router.get("/report-schedules", response_model=list[ReportScheduleOut], summary="Your workspace's report schedules")
def list_schedules(ctx: Member) -> list[dict]:
    return schedules.list_schedules(ctx.cur)


@router.post("/report-schedules", response_model=ReportScheduleOut, status_code=201, summary="Mail an area's report every week or month")
def create_schedule(body: ReportScheduleIn, ctx: Member) -> dict:
    sid = schedules.create(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.model_dump())
    return schedules.get(ctx.cur, sid)


@router.patch("/report-schedules/{schedule_id}", response_model=ReportScheduleOut, summary="Change, pause or resume a report schedule")
def update_schedule(schedule_id: uuid.UUID, body: ReportSchedulePatch, ctx: Member) -> dict:
    schedules.update(ctx.cur, ctx.workspace_id, ctx.user.user_id, schedule_id, body.model_dump(exclude_unset=True))
    return schedules.get(ctx.cur, schedule_id)


@router.delete("/report-schedules/{schedule_id}", response_model=None, status_code=204, response_class=Response, summary="Stop a report schedule")
def delete_schedule(schedule_id: uuid.UUID, ctx: Member) -> Response:
    schedules.delete(ctx.cur, ctx.workspace_id, ctx.user.user_id, schedule_id)
    return Response(status_code=204)


@router.post("/report-schedules/{schedule_id}/run", response_model=ExportOut, status_code=201,
             summary="Send the schedule's report now, for the period it would cover today")
def run_schedule(schedule_id: uuid.UUID, ctx: Member, background: BackgroundTasks) -> dict:
    job = schedules.run_now(ctx.cur, ctx.settings, ctx.workspace_id, ctx.user.user_id, schedule_id)
    background.add_task(jobs.enqueue, ctx.settings, job, ctx.workspace_id)
    return jobs.get_job(ctx.cur, ctx.settings, ctx.workspace_id, job)
