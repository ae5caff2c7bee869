"""Exports (/v1/exports): ask for one, follow its progress, list the history, and fetch the
file through its signed link. Thin over services.exports."""

from __future__ import annotations

import time
import uuid
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import FileResponse, RedirectResponse, Response

from services.api.deps import Exporter, Public
from services.api.schemas import ExportColumn, ExportIn, ExportOut
from services.db.engine import set_tenant
from services.errors import Missing
from services.exports import columns, jobs, links

router = APIRouter(prefix="/v1", tags=["exports"])


@router.get("/exports/columns", response_model=list[ExportColumn], summary="The permit columns an export can hold")
def export_columns(ctx: Exporter) -> list[dict]:
    return [{"key": k, "label": label, "default": k in columns.DEFAULT_COLUMNS} for k, (label, _, _) in columns.PERMIT_COLUMNS.items()]


@router.post("/exports", response_model=ExportOut, status_code=201, summary="Export a search, a watchlist, an operator or your areas")
def create_export(body: ExportIn, ctx: Exporter, background: BackgroundTasks) -> dict:
    job = jobs.create(ctx.cur, ctx.settings, ctx.workspace_id, ctx.acting_user, kind=body.kind, fmt=body.format, columns=body.columns,
                      search_params=body.search.model_dump(mode="json", exclude_none=True, exclude_defaults=True) if body.search else None,
                      watchlist_id=body.watchlist_id, operator_id=body.operator_id)
    # queued once the request's transaction has committed, so the worker finds the job
    background.add_task(jobs.enqueue, ctx.settings, job, ctx.workspace_id)
    return jobs.get_job(ctx.cur, ctx.settings, ctx.workspace_id, job)


@router.get("/exports", response_model=list[ExportOut], summary="Your workspace's exports, newest first")
def list_exports(ctx: Exporter) -> list[dict]:
    return jobs.list_jobs(ctx.cur, ctx.settings, ctx.workspace_id)


@router.get("/exports/{export_id}", response_model=ExportOut, summary="One export: status, progress, its download link")
def get_export(export_id: uuid.UUID, ctx: Exporter) -> dict:
    return jobs.get_job(ctx.cur, ctx.settings, ctx.workspace_id, export_id)


@router.get("/exports/{export_id}/file", response_model=None, response_class=Response, summary="The export's file, by its signed link",
            responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                       307: {"description": "to the file in object storage"}})
def export_file(export_id: uuid.UUID, ctx: Public, w: str = Query(max_length=64), e: str = Query(max_length=20),
                s: str = Query(max_length=100), part: Literal["file", "attachment"] = Query("file")) -> Response:
    workspace = links.verify(ctx.settings.secret_key, export_id, w, e, s, time.time())
    set_tenant(ctx.cur, workspace)  # the link's workspace: RLS still decides what exists
    f = jobs.file_for(ctx.cur, ctx.settings, export_id, part)
    if f["url"]:
        return RedirectResponse(f["url"], status_code=307)
    if f["path"] is None:
        raise Missing(f"the file of export {export_id} is no longer stored")
    return FileResponse(f["path"], media_type=f["media_type"], filename=f["file_name"], headers={"Cache-Control": "private, no-store"})
