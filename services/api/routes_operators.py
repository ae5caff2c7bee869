"""Operator intelligence (/v1): an operator's profile and timeline, peer comparison by
county, district or area, and the workspace's operator groups. Thin over services.operators."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.api.deps import Member, SignedIn
from services.api.schemas import Comparison, GroupProfile, Id, OperatorGroupIn, OperatorGroupOut, OperatorProfile, OperatorTimeline
from services.operators import compare, profile, watchlists
from services.operators.watchlists import GROUP
from services.reference.calendar import RRC_TZ

router = APIRouter(prefix="/v1", tags=["operators"])


Kinds = Annotated[list[str] | None, Query(max_length=12, description=", ".join(profile.TIMELINE_KINDS))]
Before = Annotated[int | None, Query(ge=1, le=2**62, description="next_before of the previous page")]
Limit = Annotated[int, Query(ge=1, le=200)]


def _today() -> date:
    return datetime.now(RRC_TZ).date()


@router.get("/operators/{operator_id}", response_model=OperatorProfile, summary="An operator's profile: names, lineage, activity")
def operator_profile(operator_id: uuid.UUID, ctx: SignedIn,
                     follow_line: Annotated[bool, Query(description="count predecessors and successors as one")] = True) -> dict:
    return profile.profile(ctx.cur, operator_id, follow_line=follow_line, today=_today())


@router.get("/operators/{operator_id}/timeline", response_model=OperatorTimeline, summary="An operator's events, newest first")
def operator_timeline(operator_id: uuid.UUID, ctx: SignedIn,
                      kinds: Kinds = None, before: Before = None, limit: Limit = 50, follow_line: bool = True) -> dict:
    return profile.operator_timeline(ctx.cur, operator_id, follow_line=follow_line, kinds=kinds, before=before, limit=limit)


@router.get("/compare", response_model=Comparison, summary="Operators ranked in a county, a district or one of your areas")
def compare_peers(ctx: Member,
                  county: Annotated[str | None, Query(max_length=40, description="county code or name")] = None,
                  district: Annotated[str | None, Query(max_length=4)] = None,
                  aoi: Annotated[str | None, Query(max_length=64, description="one of your areas")] = None,
                  start: date | None = None, end: date | None = None,
                  series: Annotated[list[uuid.UUID] | None, Query(max_length=compare.MAX_SERIES,
                                                                  description="up to five operator or group ids to chart")] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    today = _today()
    s = compare.scope(county=county, district=district, aoi=aoi, start=start, end=end, today=today)
    place = compare.place_name(ctx.cur, s)
    prev = s.previous
    rows = compare.rank(ctx.cur, s, today=today, limit=limit)
    return {"place": place, "kind": s.kind, "value": s.value, "start": s.start, "end": s.end, "previous_start": prev[0],
            "previous_end": prev[1], "judged_before": compare.judged_before(s, today),
            "rows": rows, "series": compare.series(ctx.cur, s, series or []), "likely_same": compare.likely_same(rows)}


@router.get("/operator-groups", response_model=list[OperatorGroupOut], summary="Your operator groups (one competitor, several names)")
def list_groups(ctx: Member) -> list[dict]:
    return watchlists.list_sets(ctx.cur, GROUP)


@router.get("/operator-groups/{group_id}/profile", response_model=GroupProfile, summary="A group's activity as one competitor")
def group_profile(group_id: uuid.UUID, ctx: Member) -> dict:
    return profile.group_profile(ctx.cur, group_id, today=_today())


@router.get("/operator-groups/{group_id}/timeline", response_model=OperatorTimeline, summary="A group's events, newest first")
def group_timeline(group_id: uuid.UUID, ctx: Member, kinds: Kinds = None, before: Before = None, limit: Limit = 50) -> dict:
    return profile.group_timeline(ctx.cur, group_id, kinds=kinds, before=before, limit=limit)


@router.post("/operator-groups", response_model=Id, status_code=201, summary="Group operators as one competitor")
def create_group(body: OperatorGroupIn, ctx: Member) -> Id:
    return Id(id=watchlists.save(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.name, body.operator_ids, kind=GROUP))


@router.put("/operator-groups/{group_id}", response_model=Id, summary="Change an operator group")
def update_group(group_id: uuid.UUID, body: OperatorGroupIn, ctx: Member) -> Id:
    return Id(id=watchlists.save(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.name, body.operator_ids, group_id, kind=GROUP))


@router.delete("/operator-groups/{group_id}", response_model=None, status_code=204, summary="Delete an operator group",
               response_class=Response)
def delete_group(group_id: uuid.UUID, ctx: Member) -> None:
    watchlists.delete(ctx.cur, ctx.workspace_id, ctx.user.user_id, group_id, kind=GROUP)
