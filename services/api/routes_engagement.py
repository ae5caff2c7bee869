"""Alert links and product metrics: the short and long links alerts carry (an open counted
by the signed token, then the permit in the app), the inbox's open, the map viewed, and
the platform admins' weekly figures."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import RedirectResponse

from services.api.deps import Member, PlatformAdmin, Public
from services.api.schemas import Opened, ProductMetrics
from services.engagement import compute, record
from services.engagement.weekly import DEFINITIONS

router = APIRouter()
Token = Annotated[str | None, Query(max_length=40, description="the delivery's signed token")]
STATUS_NUMBER = {"max_length": 20, "pattern": r"^[0-9A-Za-z-]+$", "description": "the permit's RRC status number"}
Ref = Annotated[str, Query(**STATUS_NUMBER)]
Number = Annotated[str, Path(**STATUS_NUMBER)]


def _open(ctx, status_number: str, t: str | None) -> RedirectResponse:
    record.alert_opened(ctx.cur, ctx.settings.secret_key, t)
    return RedirectResponse(f"/app#/permit/{status_number}", status_code=303, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@router.get("/p/{status_number}", response_model=None, status_code=303, response_class=RedirectResponse, include_in_schema=False)
def short_link(status_number: Number, ctx: Public, t: Token = None) -> RedirectResponse:
    return _open(ctx, status_number, t)


@router.get("/permits/{status_number}", response_model=None, status_code=303, response_class=RedirectResponse, include_in_schema=False)
def permit_link(status_number: Number, ctx: Public, t: Token = None) -> RedirectResponse:
    return _open(ctx, status_number, t)


@router.get("/map", response_model=None, status_code=303, response_class=RedirectResponse, include_in_schema=False)
def map_link(ctx: Public, permit: Ref, t: Token = None) -> RedirectResponse:
    return _open(ctx, permit, t)


@router.post("/v1/notifications/{notification_id}/opened", response_model=Opened, tags=["alerts and workspace"],
             summary="Open an alert from the inbox: marked read and counted as opened")
def opened(notification_id: uuid.UUID, ctx: Member) -> Opened:
    return Opened(counted=record.notification_opened(ctx.cur, ctx.user.user_id, notification_id))


@router.post("/v1/activity/map-viewed", response_model=None, status_code=204, response_class=Response, tags=["alerts and workspace"],
             summary="The member looked at the map (the browser sends this at most every few minutes)")
def map_viewed(ctx: Member) -> Response:
    record.map_viewed(ctx.cur, ctx.workspace_id, ctx.user.user_id)
    return Response(status_code=204)


@router.get("/v1/platform/metrics", response_model=ProductMetrics, tags=["platform"],
            summary="Weekly product metrics (platform admins only, not workspace owners)")
def platform_metrics(ctx: PlatformAdmin, weeks: Annotated[int, Query(ge=1, le=52)] = 12) -> dict:
    return {"weeks": compute.stored(ctx.cur, weeks), "definitions": DEFINITIONS}
