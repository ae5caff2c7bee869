"""The web app and API in one FastAPI application: pages and static files, /auth, /v1,
/tiles, OpenAPI at /openapi.json and /docs. Assembly only; routes live in routes_*.py."""

from __future__ import annotations

import base64
import hashlib
import re
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg_pool import ConnectionPool
from redis import Redis

from services.api import (
    deprecations,
    problems,
    routes_account,
    routes_alerts,
    routes_areas,
    routes_audit,
    routes_auth,
    routes_billing,
    routes_engagement,
    routes_exports,
    routes_keys,
    routes_operators,
    routes_permits,
    routes_reports,
    routes_site,
    routes_tiles,
    routes_webhook_endpoints,
    routes_webhooks,
)
from services.api.deps import PUBLIC
from services.api.edge import Edge
from services.api.schemas import PROBLEM_RESPONSES, Health, MapConfig
from services.apikeys import limiter
from services.metrics import registry as metrics
from services.settings import REPO_ROOT, Settings, get_settings

WEB = REPO_ROOT / "web"
VENDOR = {"maplibre-gl": "maplibre-gl/dist", "terra-draw": "terra-draw/dist",
          "terra-draw-maplibre-gl-adapter": "terra-draw-maplibre-gl-adapter/dist", "uplot": "uplot/dist"}
# Web queries are short: no JIT, whose compile time exceeds them once the planner's estimates
# pass its thresholds (a county-sized search at 1M permits does; docs/performance.md).
WEB_SESSION_OPTIONS = "-c jit=off"
# A search URL can carry a drawn area and long filter lists, past uvicorn's 16 KiB default
# for a request head (which it refuses with a plain-text 400 before the app sees it).
MAX_REQUEST_HEAD = 2 * 1024 * 1024
DESCRIPTION = """Texas drilling permits from the Railroad Commission, searchable and on a map, with alerts.

Sign in (`POST /auth/login`) to get the session cookie; state-changing calls also send the
`pw_csrf` cookie's value in the `X-CSRF-Token` header. Errors are RFC 9457 problem details
(`application/problem+json`) that name what was wrong."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _inline_script_hashes() -> str:
    """CSP allows no inline script but the page's import map, pinned by its hash."""
    page = (WEB / "src" / "index.html").read_text()
    blocks = re.findall(r"<script type=\"importmap\">(.*?)</script>", page, flags=re.S)
    return " ".join("'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'" for b in blocks)


def _security_headers(settings: Settings) -> dict[str, str]:
    hosts = {_origin(settings.basemap_raster_url)} if settings.basemap_raster_url else set()
    if settings.map_style_url:
        hosts |= {"https://api.mapbox.com", "https://*.tiles.mapbox.com", _origin(settings.map_style_url)}
    tiles = " ".join(sorted(h for h in hosts if h))
    return {
        "Content-Security-Policy": f"default-src 'self'; script-src 'self' {_inline_script_hashes()}; img-src 'self' data: blob: {tiles}; "
                                   f"connect-src 'self' {tiles}; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
                                   "frame-ancestors 'none'; base-uri 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    if not settings.secret_key:
        raise RuntimeError("PERMITWATCH_SECRET_KEY is not set (the local stack writes one to .local/stack.env)")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pool = ConnectionPool(settings.database_url, min_size=2, max_size=settings.db_pool_size, open=True,
                                        name="permitwatch-web", kwargs={"options": WEB_SESSION_OPTIONS})
        # Public records read by one statement (permit tiles behind a tile pass): no
        # transaction to open and close around them.
        app.state.read_pool = ConnectionPool(settings.database_url, min_size=1, max_size=max(2, settings.db_pool_size // 2), open=True,
                                             name="permitwatch-read", kwargs={"options": WEB_SESSION_OPTIONS, "autocommit": True})
        app.state.redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        yield
        app.state.read_pool.close()
        app.state.pool.close()
        app.state.redis.close()

    app = FastAPI(title="permitwatch", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.deprecations = deprecations.REGISTRY
    problems.install(app)
    for module in (routes_auth, routes_account, routes_permits, routes_operators, routes_areas, routes_alerts, routes_exports, routes_reports, routes_keys,
                   routes_audit, routes_webhook_endpoints, routes_billing, routes_engagement, routes_tiles, routes_webhooks, routes_site):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    headers = _security_headers(settings)
    _finish_document(app)

    def extra_headers(scope) -> dict[str, str]:
        out = dict(scope.get("state", {}).get("rate_headers") or {})
        if (gone := deprecations.find(app.state.deprecations, scope["method"], getattr(scope.get("route"), "path", None))) is not None:
            out.update(deprecations.headers(gone, settings.public_base_url))
        return out

    def done(scope, status: int, seconds: float) -> None:
        # the route's template, never the raw path: one series per route, not per permit
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        metrics.http_latency.labels(scope["method"], route, str(status)).observe(seconds)
        state = scope.get("state", {})
        if (key := state.get("api_key")) is not None:  # a Pro API request: counted in Redis when admitted (or refused)
            if status >= 400 and state.get("api_admitted"):
                limiter.meter_error(app.state.redis, key.workspace_id, key.key_id)
            if (gone := deprecations.find(app.state.deprecations, scope["method"], route)) is not None:
                limiter.count_deprecated(app.state.redis, key.workspace_id, key.key_id, gone.operation)

    app.add_middleware(Edge, security=headers, extra_headers=extra_headers, done=done)

    @app.get("/metrics", response_model=None, include_in_schema=False, dependencies=[PUBLIC])
    def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", response_model=Health, include_in_schema=False, dependencies=[PUBLIC])
    def healthz() -> Health:
        return Health(ok=True)

    @app.get("/readyz", response_model=None, include_in_schema=False, dependencies=[PUBLIC])
    def readyz() -> JSONResponse:
        """Ready when the database and Redis answer: a pod that cannot reach them takes no traffic."""
        problems_seen = {}
        try:
            with app.state.pool.connection(timeout=2) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # any failure means not ready; the reason is reported
            problems_seen["database"] = type(exc).__name__
        try:
            app.state.redis.ping()
        except Exception as exc:
            problems_seen["redis"] = type(exc).__name__
        return JSONResponse({"ready": not problems_seen, **problems_seen}, status_code=503 if problems_seen else 200)

    @app.get("/v1/config", response_model=MapConfig, tags=["app"], summary="Map settings for the browser app", dependencies=[PUBLIC],
             responses=PROBLEM_RESPONSES)
    def config() -> MapConfig:
        return {"basemap_raster_url": settings.basemap_raster_url or None, "basemap_attribution": settings.basemap_attribution,
                "map_style_url": settings.map_style_url, "mapbox_token": settings.mapbox_token}

    app.mount("/static", StaticFiles(directory=WEB / "src"), name="static")
    for name, sub in VENDOR.items():
        path = WEB / "node_modules" / sub
        if path.is_dir():
            app.mount(f"/vendor/{name}", StaticFiles(directory=path), name=f"vendor-{name}")
        else:
            @app.get(f"/vendor/{name}/{{rest:path}}", response_model=None, include_in_schema=False, dependencies=[PUBLIC])
            def missing(rest: str, _name: str = name) -> None:
                raise problems.Problem(503, "not-installed", "Not installed", f"{_name} is not installed: run `npm ci` in web/ (scripts/run.sh does)")
    return app


def _access_of(dependant) -> tuple[str, str | None] | None:
    """(access level, API key scope) a route declared through its dependencies."""
    for dep in dependant.dependencies:
        level = getattr(dep.call, "access_level", None)
        if level:
            return level, getattr(dep.call, "key_scope", None)
        if (found := _access_of(dep)) is not None:
            return found
    return None


SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "pwk_ + 36 characters",
               "description": "A Pro API key (Team > API keys and usage). It may call the operations that name its scope."},
    "session": {"type": "apiKey", "in": "cookie", "name": "pw_session",
                "description": "The web app's session; state-changing calls also send the pw_csrf cookie's value as X-CSRF-Token."},
}


def _finish_document(app: FastAPI) -> None:
    """What FastAPI's document lacks: errors as application/problem+json (it files them under
    application/json), and who may call each operation (the security schemes)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            doc = build()
            access = {(m.lower(), c.path): _access_of(c.original_route.dependant)
                      for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute) for m in c.methods}
            doc.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            for path, ops in doc["paths"].items():
                for method, op in ops.items():
                    for code, resp in op.get("responses", {}).items():
                        content = resp.get("content", {})
                        if code[0] in "45" and "application/json" in content:
                            content["application/problem+json"] = content.pop("application/json")
                    level, scope = access.get((method, path)) or ("public", None)
                    if level == "public":
                        op["security"] = []
                    else:
                        op["security"] = [{"session": []}] + ([{"apiKey": []}] if scope else [])
                        who = {"signed_in": "signed-in users", "member": "workspace members", "admin": "owners and admins",
                               "owner": "owners", "platform": "platform admins (who run permitwatch)"}[level]
                        op["description"] = (op.get("description", "") + f"\n\nWho: {who}"
                                             + (f", or an API key with the `{scope}` scope." if scope else " (not API keys).")).strip()
            app.openapi_schema = doc
        return app.openapi_schema
    app.openapi = openapi


def openapi_document(settings: Settings | None = None) -> dict:
    return create_app(settings or Settings(secret_key="openapi-only")).openapi()
