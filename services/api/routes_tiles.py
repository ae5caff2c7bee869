"""Vector tiles: permits (with the search filters as query parameters; cached in Redis by
signature) and the workspace's areas of interest (under RLS; revalidated by ETag)."""

from __future__ import annotations

import functools
import hashlib
import time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import StringConstraints

from services.alerting.filters import FILTERS
from services.api.deps import PUBLIC, Member, TileReader
from services.operators.watchlists import with_group_members
from services.permits import tile_cache, tiles
from services.permits.search import parse_filters
from services.tenancy import tile_pass

router = APIRouter(prefix="/tiles", tags=["tiles"])
MVT = "application/vnd.mapbox-vector-tile"
Z = Annotated[int, Path(ge=0, le=tiles.MAX_ZOOM)]
XY = Annotated[int, Path(ge=0, le=2**tiles.MAX_ZOOM - 1)]
TILE_RESPONSES = {200: {"content": {MVT: {"schema": {"type": "string", "format": "binary"}}}},
                  204: {"description": "nothing in this tile"}, 304: {"description": "unchanged since the ETag sent"}}
ListParam = Annotated[list[Annotated[str, StringConstraints(max_length=40)]] | None, Query(max_length=300)]
FilterText = Annotated[str | None, Query(max_length=32)]


def _tile_response(data: bytes | None, etag: str, cache_control: str, state: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": cache_control, "X-Tile-Cache": state}
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(content=bytes(data), media_type=MVT, headers=headers)


@router.get("/permits/{z}/{x}/{y}.mvt", response_model=None, summary="Permit tile (grid counts at low zoom, points deeper); same filters as /v1/permits",
            response_class=Response, responses=TILE_RESPONSES)
def permit_tile(z: Z, x: XY, y: XY, ctx: TileReader,
                counties: ListParam = None, districts: ListParam = None, filing_purposes: ListParam = None,
                profiles: ListParam = None, statuses: ListParam = None, operator_ids: ListParam = None,
                operator_groups: ListParam = None, depth_min: FilterText = None, depth_max: FilterText = None,
                issued_from: FilterText = None, issued_to: FilterText = None) -> Response:
    tiles.check_tile(z, x, y)
    raw = {"counties": counties, "districts": districts, "filing_purposes": filing_purposes, "profiles": profiles,
           "statuses": statuses, "operator_ids": operator_ids, "operator_groups": operator_groups, "depth_min": depth_min, "depth_max": depth_max,
           "issued_from": issued_from, "issued_to": issued_to}
    for k, v in raw.items():
        if FILTERS[k][1] in ("in", "group") and v:
            raw[k] = [p.strip() for item in v for p in item.split(",") if p.strip()]
    filters = parse_filters(raw)
    if ctx.cur is not None:  # a pass never comes with groups (deps.tile_unit)
        filters = with_group_members(ctx.cur, filters)
    gen = tile_cache.generation(ctx.redis)
    key = tile_cache.signature("permits", z, x, y, filters, gen or 0)
    etag = tile_cache.etag(key)
    cache_control = f"private, max-age={min(ctx.settings.tile_cache_seconds, 300)}"
    if gen is not None:
        if ctx.request.headers.get("if-none-match") == etag:
            response = Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache_control})
            _renew_pass(ctx, response)
            return response
        hit = tile_cache.get(ctx.redis, key)
        if hit is not None:
            response = _tile_response(hit, etag, cache_control, "hit")
            _renew_pass(ctx, response)
            return response
    sql, params = tiles.tile_sql(z, x, y, filters)
    if ctx.cur is not None:
        data = bytes(ctx.cur.execute(sql, params).fetchone()[0] or b"")
    else:  # public records, no RLS context: one statement on an autocommit connection
        with ctx.request.app.state.read_pool.connection() as conn:
            data = bytes(conn.execute(sql, params).fetchone()[0] or b"")
    if gen is not None:
        tile_cache.put(ctx.redis, key, data, ctx.settings.tile_cache_seconds)
    response = _tile_response(data, etag, cache_control, "miss" if gen is not None else "off")
    _renew_pass(ctx, response)
    return response


def _renew_pass(ctx, response: Response) -> None:
    """A tile answered through the session hands out a pass for the next hour's tiles."""
    if ctx.session is not None:
        response.set_cookie(tile_pass.COOKIE, tile_pass.make(ctx.settings.secret_key, str(ctx.session.user_id), time.time()),
                            max_age=tile_pass.SECONDS, httponly=True, samesite="strict", secure=ctx.settings.cookie_secure,
                            path=tile_pass.PATH)


@router.get("/aois/{z}/{x}/{y}.mvt", response_model=None, summary="Tile of the workspace's areas of interest and their buffers",
            response_class=Response, responses=TILE_RESPONSES)
def aoi_tile(z: Z, x: XY, y: XY, ctx: Member) -> Response:
    tiles.check_tile(z, x, y)
    sql, params = tiles.aoi_tile_sql(z, x, y)
    data = bytes(ctx.cur.execute(sql, params).fetchone()[0] or b"")
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    if ctx.request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return _tile_response(data, etag, "private, no-cache", "off")


@router.get("/counties/{z}/{x}/{y}.mvt", response_model=None, summary="Texas county outlines (the built-in base map)",
            response_class=Response, responses=TILE_RESPONSES, dependencies=[PUBLIC])
def county_tile(z: Z, x: XY, y: XY, request: Request) -> Response:
    data = _county_tile(request.app.state.read_pool, z, x, y)
    # Reference data changes only with a migration: cache a day.
    return _tile_response(data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"', "public, max-age=86400", "off")


@functools.lru_cache(maxsize=1024)
def _county_tile(pool, z: int, x: int, y: int) -> bytes:
    """The base map is reference data that changes only with a migration (and a restart):
    each tile is made once per process, with no session and no transaction."""
    sql, params = tiles.county_tile_sql(z, x, y)
    with pool.connection() as conn:
        return bytes(conn.execute(sql, params).fetchone()[0] or b"")
