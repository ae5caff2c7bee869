"""The permit search API (/v1): list and GeoJSON with the saved-search filters, area or
bbox with a buffer, keyset pagination; one permit's history; data freshness; the filter
vocabulary; operator lookup. Thin over services.permits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from services.api.deps import PUBLIC, PermitsReader, Public, SignedIn
from services.api.problems import Problem
from services.api.schemas import FeedPage, FilterVocabulary, Freshness, OperatorHit, PermitDetail, PermitFeatureCollection, PermitPage
from services.ingestion.freshness import is_stale, status
from services.operators.watchlists import search_operators
from services.permits import detail, feed, search, store
from services.reference.counties import COUNTIES, DISTRICTS
from services.reference.rrc_codes import APPLICATION_STATUS, FILING_PURPOSES, WELLBORE_PROFILES

router = APIRouter(prefix="/v1", tags=["permits"])
ListParam = Annotated[list[Annotated[str, StringConstraints(max_length=40)]] | None, Query(max_length=300)]


@router.get("/permits", summary="Search permits (JSON or GeoJSON), keyset-paginated", response_model=PermitPage,
            responses={200: {"content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/PermitFeatureCollection"}}}}})
def list_permits(ctx: PermitsReader,
                 counties: ListParam = None, districts: ListParam = None, filing_purposes: ListParam = None,
                 profiles: ListParam = None, statuses: ListParam = None, operator_ids: ListParam = None,
                 operator_groups: Annotated[list[Annotated[str, StringConstraints(max_length=40)]] | None,
                                            Query(max_length=50, description="your operator groups' ids; with operator_ids, either matches")] = None,
                 depth_min: Annotated[int | None, Query(ge=0, le=60_000)] = None,
                 depth_max: Annotated[int | None, Query(ge=0, le=60_000)] = None,
                 issued_from: date | None = None, issued_to: date | None = None,
                 bbox: Annotated[str | None, Query(max_length=200, description="min_lon,min_lat,max_lon,max_lat")] = None,
                 area: Annotated[str | None, Query(max_length=20_000, description="GeoJSON Polygon/MultiPolygon (or Feature)")] = None,
                 aoi: Annotated[str | None, Query(max_length=64, description="an area of interest id of this workspace")] = None,
                 buffer_m: Annotated[int | None, Query(ge=0, le=search.MAX_BUFFER_M)] = None,
                 sort: Literal[tuple(search.SORTS)] = "issued_desc",  # type: ignore[valid-type]
                 limit: Annotated[int, Query(ge=1, le=search.MAX_LIMIT)] = 100,
                 cursor: Annotated[str | None, Query(max_length=500)] = None,
                 q: Annotated[str | None, Query(max_length=100, description="status or API number, or part of a lease name")] = None,
                 with_total: Annotated[bool, Query(description="also count every permit the search matches (first page)")] = False,
                 format: Literal["json", "geojson"] = "json") -> JSONResponse:
    params = store.request_params(ctx.cur, {
        "counties": counties, "districts": districts, "filing_purposes": filing_purposes, "profiles": profiles,
        "statuses": statuses, "operator_ids": operator_ids, "operator_groups": operator_groups, "depth_min": depth_min, "depth_max": depth_max,
        "issued_from": issued_from.isoformat() if issued_from else None, "issued_to": issued_to.isoformat() if issued_to else None,
        "bbox": bbox, "area": area, "aoi": aoi, "buffer_m": buffer_m, "sort": sort, "limit": limit, "cursor": cursor, "q": q})
    page = store.search(ctx.cur.connection, search.parse(params), with_total=with_total)
    if format == "geojson" or "application/geo+json" in ctx.request.headers.get("accept", ""):
        body = PermitFeatureCollection.model_validate(search.to_geojson(page))
        return JSONResponse(body.model_dump(mode="json"), media_type="application/geo+json")
    return PermitPage(items=page.items, next_cursor=page.next_cursor, count=len(page.items), total=page.total)


@router.get("/permits/{ref}", response_model=PermitDetail, summary="One permit: every version, what changed, operator, identifiers, location")
def get_permit(ref: Annotated[str, PathParam(max_length=64)], ctx: PermitsReader) -> PermitDetail:
    permit = detail.find(ctx.cur, ref)
    if permit is None:
        raise Problem(404, "not-found", "Not found", f"no permit {ref}")
    return permit


@router.get("/status", response_model=Freshness, summary="Data freshness: the latest successful ingestion and whether it is stale")
def data_status(ctx: Public) -> Freshness:
    st = status(ctx.cur)
    now = st.pop("now") or datetime.now(UTC)
    return Freshness(**st, checked_at=now, stale=is_stale(st["latest_snapshot_at"], now, timedelta(hours=ctx.settings.stale_grace_hours)))


@router.get("/filters", response_model=FilterVocabulary, dependencies=[PUBLIC],
            summary="The filter vocabulary: counties, districts, filing purposes, profiles, statuses")
def filters() -> FilterVocabulary:
    return {
        "counties": [{"code": c.code, "name": c.name, "district": c.district} for c in sorted(COUNTIES.values(), key=lambda c: c.name)],
        "districts": list(DISTRICTS),
        "filing_purposes": [{"code": k, "name": v} for k, v in FILING_PURPOSES.items()],
        "profiles": list(WELLBORE_PROFILES),
        "statuses": sorted(set(APPLICATION_STATUS.values())),
    }


@router.get("/operators", response_model=list[OperatorHit], summary="Find operators by name, alias or P-5 number")
def operators(ctx: SignedIn, q: Annotated[str, Query(min_length=2, max_length=100)]) -> list[OperatorHit]:
    return search_operators(ctx.cur, q)


@router.get("/changes", response_model=FeedPage, summary="Every permit change after a cursor, in order, with the permit as it stands")
def changes(ctx: PermitsReader, since: Annotated[str | None, Query(max_length=100, description="next_cursor of the last page; none: from the start")] = None,
            limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT)] = 500) -> dict:
    return feed.page(ctx.cur.connection, since, limit)
