"""Areas of interest, saved searches and watchlists of the workspace in use. Thin over
services.areas, services.permits.saved and services.operators.watchlists."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile

from services.api.deps import Member
from services.api.schemas import AreaCollection, AreaFeature, AreaIn, AreaPatch, Id, ImportResult, SavedIn, SavedOut, WatchlistIn, WatchlistOut
from services.areas import imports, shapes
from services.areas import store as areas
from services.operators import watchlists
from services.permits import saved

router = APIRouter(prefix="/v1", tags=["areas and lists"])


def _area(body) -> shapes.Area:
    data = body.model_dump()
    data["radius_unit"] = data.get("radius_unit") or body.buffer_unit
    return shapes.from_request(body.kind, data, body.buffer or 0, body.buffer_unit)


@router.get("/aois", response_model=AreaCollection, summary="The workspace's areas of interest (GeoJSON FeatureCollection)")
def list_aois(ctx: Member) -> AreaCollection:
    return {"type": "FeatureCollection", "features": areas.as_features(ctx.cur)}


@router.post("/aois", response_model=AreaFeature, status_code=201, summary="Draw an area: polygon, rectangle, or point with a radius; with a buffer")
def create_aoi(body: AreaIn, ctx: Member) -> AreaFeature:
    aoi = areas.create(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.name, _area(body))
    return areas.as_features(ctx.cur, aoi)[0]


@router.post("/aois/import", response_model=ImportResult, status_code=201, summary="Import areas from GeoJSON, KML or a zipped shapefile")
def import_aois(ctx: Member, file: Annotated[UploadFile, File()], buffer: Annotated[float, Form(ge=0, le=1e6)] = 0,
                buffer_unit: Annotated[Literal["m", "ft", "mi"], Form()] = "m") -> ImportResult:
    data = file.file.read(imports.MAX_BYTES + 1)
    kind, found = imports.parse(file.filename or "upload", data)
    buf = shapes.buffer_meters(buffer, buffer_unit)
    ids = [areas.create(ctx.cur, ctx.workspace_id, ctx.user.user_id, name, shapes.Area(geom, {"kind": "polygon"}, buf, buffer_unit), source=kind)
           for name, geom in found]
    return {"format": kind, "created": [f for i in ids for f in areas.as_features(ctx.cur, i)]}


@router.get("/aois/{aoi_id}", response_model=AreaFeature, summary="One area of interest")
def get_aoi(aoi_id: uuid.UUID, ctx: Member) -> AreaFeature:
    found = areas.as_features(ctx.cur, aoi_id)
    if not found:
        raise areas.AreaNotFound(f"area {aoi_id} does not exist in this workspace")
    return found[0]


@router.patch("/aois/{aoi_id}", response_model=AreaFeature, summary="Rename, reshape or re-buffer an area")
def update_aoi(aoi_id: uuid.UUID, body: AreaPatch, ctx: Member) -> AreaFeature:
    area = _area(body) if body.kind else None
    buf = shapes.buffer_meters(body.buffer, body.buffer_unit) if body.buffer is not None and area is None else None
    areas.update(ctx.cur, ctx.workspace_id, ctx.user.user_id, aoi_id, name=body.name, area=area, buffer_m=buf, buffer_unit=body.buffer_unit)
    return areas.as_features(ctx.cur, aoi_id)[0]


@router.delete("/aois/{aoi_id}", response_model=None, status_code=204, summary="Delete an area (and the alert rules on it)", response_class=Response)
def delete_aoi(aoi_id: uuid.UUID, ctx: Member) -> None:
    areas.delete(ctx.cur, ctx.workspace_id, ctx.user.user_id, aoi_id)


@router.get("/saved-searches", response_model=list[SavedOut], summary="Saved searches")
def list_saved(ctx: Member) -> list[SavedOut]:
    return saved.list_saved(ctx.cur)


@router.post("/saved-searches", response_model=Id, status_code=201, summary="Save a search (filters in the search vocabulary)")
def create_saved(body: SavedIn, ctx: Member) -> Id:
    return Id(id=saved.save(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.name, body.filters))


@router.put("/saved-searches/{search_id}", response_model=Id, summary="Change a saved search")
def update_saved(search_id: uuid.UUID, body: SavedIn, ctx: Member) -> Id:
    return Id(id=saved.save(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.name, body.filters, search_id))


@router.delete("/saved-searches/{search_id}", response_model=None, status_code=204, summary="Delete a saved search", response_class=Response)
def delete_saved(search_id: uuid.UUID, ctx: Member) -> None:
    saved.delete(ctx.cur, ctx.workspace_id, ctx.user.user_id, search_id)


@router.get("/watchlists", response_model=list[WatchlistOut], summary="Operator watchlists")
def list_watchlists(ctx: Member) -> list[WatchlistOut]:
    return watchlists.list_watchlists(ctx.cur)


@router.post("/watchlists", response_model=Id, status_code=201, summary="Watch competitor operators")
def create_watchlist(body: WatchlistIn, ctx: Member) -> Id:
    return Id(id=watchlists.save(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.name, body.operator_ids, group_ids=body.group_ids))


@router.put("/watchlists/{watchlist_id}", response_model=Id, summary="Change a watchlist")
def update_watchlist(watchlist_id: uuid.UUID, body: WatchlistIn, ctx: Member) -> Id:
    return Id(id=watchlists.save(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.name, body.operator_ids, watchlist_id,
                                 group_ids=body.group_ids))


@router.delete("/watchlists/{watchlist_id}", response_model=None, status_code=204, summary="Delete a watchlist", response_class=Response)
def delete_watchlist(watchlist_id: uuid.UUID, ctx: Member) -> None:
    watchlists.delete(ctx.cur, ctx.workspace_id, ctx.user.user_id, watchlist_id)
