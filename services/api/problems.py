"""RFC 9457 problem details: the one table from domain errors to HTTP answers, so routes
never build error responses themselves and every error says what was wrong."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.alerting.filters import FilterError
from services.alerting.rules import RuleError, RuleNotFound
from services.alerting.webhooks import WebhookRefused
from services.apikeys.store import KeyNotHere, KeyRefused
from services.areas.shapes import ShapeError
from services.areas.store import AreaNotFound
from services.billing.checkout import AlreadySubscribed
from services.billing.stripe_api import BillingUnavailable
from services.entitlements.decide import PaymentRequired
from services.errors import DomainError, FieldError, InvalidInput, Missing
from services.exports.links import LinkRefused
from services.exports.quota import ExportQuotaSpent
from services.operators.watchlists import WatchlistError
from services.permits.search import SearchError
from services.permits.tiles import TileError
from services.tenancy.accounts import TokenError
from services.tenancy.credentials import CredentialError
from services.tenancy.members import NotFound
from services.tenancy.roles import Forbidden

log = logging.getLogger("permitwatch.api")
MEDIA = "application/problem+json"
MAX_BODY = 12 * 1024 * 1024
BASE = "https://permitwatch.io/problems/"


class Problem(Exception):
    def __init__(self, status: int, slug: str, title: str, detail: str, *, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail, self.headers, self.extra = status, slug, title, detail, headers, extra


def unauthenticated() -> Problem:
    return Problem(401, "unauthenticated", "Sign in required", "sign in to use this")


# exception class -> (status, slug, title, field attribute naming what was wrong)
TABLE: list[tuple[type[Exception], int, str, str, str | None]] = [
    (SearchError, 400, "invalid-parameter", "Invalid search parameter", "field"),
    (TileError, 400, "invalid-tile", "Invalid tile address", None),
    (ShapeError, 422, "invalid-area", "Invalid area of interest", "field"),
    (CredentialError, 422, "invalid-credentials-input", "Invalid account details", "field"),
    (FilterError, 422, "invalid-filter", "Invalid filter", None),
    (RuleNotFound, 404, "not-found", "Not found", None),
    (RuleError, 422, "invalid-alert-rule", "Alert rule cannot work", None),
    (WatchlistError, 422, "invalid-watchlist", "Invalid watchlist", None),
    (TokenError, 400, "invalid-link", "Link not valid", None),
    (LinkRefused, 403, "invalid-download-link", "Download link refused", None),
    (KeyRefused, 401, "invalid-api-key", "API key refused", None),
    (KeyNotHere, 403, "api-key-address", "API key not allowed from here", None),
    (ExportQuotaSpent, 429, "export-quota-spent", "Export limit reached", None),
    (AlreadySubscribed, 409, "already-subscribed", "Already subscribed", None),
    (BillingUnavailable, 503, "billing-unavailable", "Billing unavailable", None),
    (Forbidden, 403, "forbidden", "Not allowed", None),
    (AreaNotFound, 404, "not-found", "Not found", None),
    (NotFound, 404, "not-found", "Not found", None),
    # Only the domain's own errors are the caller's fault; a stray ValueError or KeyError is a bug (500).
    (FieldError, 422, "invalid-input", "Invalid input", "field"),
    (Missing, 404, "not-found", "Not found", None),
    (InvalidInput, 422, "invalid-input", "Invalid input", None),
    (DomainError, 400, "refused", "Request refused", None),
]


def response(request: Request, status: int, slug: str, title: str, detail: str, headers: dict | None = None, **extra) -> JSONResponse:
    body = {"type": BASE + slug, "title": title, "status": status, "detail": detail, "instance": request.url.path, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA, headers=headers)


def install(app) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return response(request, exc.status, exc.slug, exc.title, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [{"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['where']}: {e['problem']}" for e in errors)
        return response(request, 422, "invalid-request", "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return response(request, exc.status_code, f"http-{exc.status_code}", str(exc.detail), str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(PaymentRequired)
    async def _payment(request: Request, exc: PaymentRequired):
        # names the plan that has it and where to upgrade, so a client can show the way
        extra = {"plan": exc.plan.code, "plan_name": exc.plan.name} if exc.plan else {}
        return response(request, 402, exc.slug, exc.title, exc.detail, upgrade_url="/app#/billing", **extra)

    @app.exception_handler(WebhookRefused)
    async def _webhook(request: Request, exc: WebhookRefused):
        return response(request, exc.status, exc.slug, "Webhook refused", exc.detail)

    for cls, status, slug, title, field in TABLE:
        app.add_exception_handler(cls, _domain(status, slug, title, field))


def _domain(status: int, slug: str, title: str, field: str | None):
    async def handler(request: Request, exc: Exception):
        extra = {"param": getattr(exc, field)} if field and getattr(exc, field, None) else {}
        detail = getattr(exc, "detail", None) if field else None
        return response(request, status, slug, title, f"{extra['param']}: {detail}" if extra and detail else str(exc), **extra)
    return handler

