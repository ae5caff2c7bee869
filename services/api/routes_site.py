"""The public site and the app's page: the landing page at / (with the RRC data's
freshness), robots.txt and the sitemap for search engines, and the browser app at /app."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from services.api.deps import PUBLIC, Public
from services.ingestion.freshness import status
from services.settings import REPO_ROOT
from services.site import landing

router = APIRouter(include_in_schema=False)
INDEX = REPO_ROOT / "web" / "src" / "index.html"


@router.get("/", response_model=None)
def home(ctx: Public) -> HTMLResponse:
    latest = status(ctx.cur)["latest_snapshot_at"]
    page = landing.render(ctx.settings.public_base_url, latest, signed_in=ctx.session is not None)
    # shared caches may keep it a minute: the freshness line moves a few times a day
    return HTMLResponse(page, headers={"Cache-Control": "public, max-age=60" if ctx.session is None else "private, no-cache"})


@router.get("/app", response_model=None, dependencies=[PUBLIC])
def app_page() -> FileResponse:
    return FileResponse(INDEX, headers={"Cache-Control": "no-cache"})


@router.get("/robots.txt", response_model=None)
def robots(ctx: Public) -> PlainTextResponse:
    return PlainTextResponse(landing.robots(ctx.settings.public_base_url))


@router.get("/sitemap.xml", response_model=None)
def sitemap(ctx: Public) -> Response:
    return Response(landing.sitemap(ctx.settings.public_base_url, status(ctx.cur)["latest_snapshot_at"]), media_type="application/xml")
