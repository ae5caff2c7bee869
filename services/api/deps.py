"""Request plumbing: the connection pool, Redis, and the unit of work. Every request that
touches the database runs in ONE transaction that first loads the session from its cookie
and sets that workspace's RLS context (transaction-local), so a query that forgets a
workspace filter still cannot see another workspace's rows. Unsafe methods must carry the
CSRF token bound to the session."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import psycopg
from fastapi import Depends, Request
from psycopg_pool import ConnectionPool
from redis import Redis

from services.api.problems import Problem, unauthenticated
from services.apikeys import limiter, limits
from services.apikeys import store as apikeys
from services.apikeys.store import KeyPrincipal
from services.entitlements import checks as entitled
from services.entitlements.decide import entitlements, require_feature, require_writable
from services.entitlements.plans import API
from services.errors import KeptRefusal
from services.settings import Settings
from services.tenancy import sessions, tile_pass
from services.tenancy.credentials import csrf_token, same_secret
from services.tenancy.members import Actor
from services.tenancy.roles import require

SESSION_COOKIE = "pw_session"
CSRF_COOKIE = "pw_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Ctx:
    cur: psycopg.Cursor
    settings: Settings
    redis: Redis
    request: Request
    session: sessions.Session | None
    key: KeyPrincipal | None = None  # a Pro API key instead of a session
    passed: str | None = None  # a tile pass's user: no session, no database (cur is None)

    @property
    def user(self) -> sessions.Session:
        if self.session is None:
            raise unauthenticated()
        return self.session

    @property
    def workspace_id(self) -> uuid.UUID:
        if self.key is not None:
            return self.key.workspace_id
        s = self.user
        if s.workspace_id is None:
            raise Problem(403, "no-workspace", "No workspace", "you are not a member of any workspace; accept an invitation or sign up again")
        return s.workspace_id

    @property
    def actor(self) -> Actor:
        return Actor(self.workspace_id, self.user.user_id, self.user.role)

    @property
    def by(self) -> uuid.UUID | None:
        """Who acts, for the audit log and the rows' makers: the signed-in user, or the member
        who made the API key (a key acts on their behalf; None once that account is gone)."""
        return self.key.made_by if self.key is not None else self.user.user_id

    @property
    def acting_user(self) -> uuid.UUID:
        """`by`, where a person must stand behind the action (an export is someone's)."""
        if self.by is None:
            raise Problem(403, "key-orphaned", "Key without a member",
                          "the member who made this API key has left; make a new key to do this")
        return self.by

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else ""


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def check_csrf(request: Request, settings: Settings, session_token: str | None) -> None:
    if request.method in SAFE:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    expected = csrf_token(settings.secret_key, session_token) if session_token else cookie
    if not sent or not cookie or not same_secret(sent, cookie) or not same_secret(sent, expected):
        raise Problem(403, "csrf", "CSRF check failed",
                      f"send the {CSRF_COOKIE} cookie's value in the X-CSRF-Token header (reload the page if it is missing)")


def _admit_key(cur: psycopg.Cursor, request: Request, settings: Settings) -> KeyPrincipal:
    """The key's workspace in context, within its rate limits and monthly quota (headers on
    the response), and metered when the response is sent."""
    key = apikeys.authenticate(cur, bearer_key(request), request.client.host if request.client else "")  # and its RLS context
    ent = entitlements(key.billing, datetime.now(UTC))
    require_feature(ent, API)
    require_writable(ent)  # the API is a paid feature: a lapsed workspace's keys wait for its billing
    policy = limits.policy_for(key.rate_per_minute, ent.limits.api_calls_per_month, default_per_minute=settings.api_rate_per_minute,
                               default_per_month=None)
    request.state.api_key = key
    try:
        admitted = limiter.admit(request.app.state.redis, cur.connection, key.key_id, key.workspace_id, policy)
    except limiter.QuotaSpent as exc:
        raise Problem(429, "quota-spent", "Monthly API quota used up", str(exc), headers=exc.headers) from None
    except limiter.SlowDown as exc:
        raise Problem(429, "slow-down", "Too many requests", str(exc), headers=exc.headers) from None
    except limiter.QuotaUnknown as exc:
        raise Problem(503, "quota-unavailable", "Quota check unavailable", str(exc), headers={"Retry-After": "5"}) from None
    request.state.rate_headers = admitted.headers  # put on the response, whatever its kind, by the app's middleware
    request.state.api_admitted = True  # counted; the middleware adds an error if the answer is one
    return key


def unit_of_work(request: Request):
    settings = settings_of(request)
    pool: ConnectionPool = request.app.state.pool
    token = request.cookies.get(SESSION_COOKIE)
    bearer = bearer_key(request)
    with pool.connection() as conn:
        kept = None
        with conn.transaction():
            cur = conn.cursor()
            key, session = None, None
            if bearer is not None:  # a key is not a browser: no cookie, so no CSRF token
                key = _admit_key(cur, request, settings)
            else:
                session = sessions.load(cur, token)
                check_csrf(request, settings, session.token if session else None)
            try:
                yield Ctx(cur, settings, request.app.state.redis, request, session, key)
            except KeptRefusal as exc:
                kept = exc  # leaving the block normally commits what the refusal wrote
        if kept is not None:
            raise kept


# Who may call a route, declared once per route as the type of its context parameter (or
# as a route dependency when it needs no database). A test walks the app's routes and fails
# on any route without one of these.
ACCESS_LEVELS = ("public", "signed_in", "member", "admin", "owner", "platform")
ROLE_AT_LEAST = {"member": {"owner", "admin", "member"}, "admin": {"owner", "admin"}, "owner": {"owner"}}


def bearer_key(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _check_access(level: str, ctx: Ctx, key_scope: str | None = None) -> None:
    if level == "public":
        return
    if ctx.passed is not None and level == "signed_in":
        return
    if ctx.key is not None:
        if key_scope is None:
            raise Problem(403, "session-only", "Not open to API keys", "this route takes a signed-in session, not an API key")
        if key_scope not in ctx.key.scopes:
            raise Problem(403, "missing-scope", "Scope missing", f"this API key lacks the {key_scope} scope", param="scope")
        return
    ctx.user  # noqa: B018 -- raises 401 when signed out
    if level == "signed_in":
        return
    if level == "platform":
        if not ctx.user.platform_admin:
            raise Problem(403, "platform-admins-only", "Platform admins only", "this is for the people who run permitwatch")
        return
    ctx.workspace_id  # noqa: B018 -- raises 403 without a workspace
    require(ctx.user.role, ROLE_AT_LEAST[level], "this action")
    if ctx.request.method not in STILL_OPEN_WHEN_READ_ONLY and not ctx.request.url.path.startswith(READ_ONLY_EXEMPT):
        entitled.check_writable(ctx.cur, ctx.workspace_id)


# A lapsed workspace is read-only, except to put billing right, look after one's own
# account, read and open alerts (they keep arriving in the inbox), and remove things (a
# key revoked, a member gone).
STILL_OPEN_WHEN_READ_ONLY = {"GET", "HEAD", "OPTIONS", "DELETE"}
READ_ONLY_EXEMPT = ("/v1/billing", "/v1/account", "/v1/notifications", "/v1/activity")


def tile_unit(request: Request):
    """Permit tiles: a valid tile pass admits without a session lookup or a transaction; a
    tile that needs the workspace (operator groups), or no pass, takes the session."""
    settings = settings_of(request)
    passed = None if "operator_groups" in request.query_params else \
        tile_pass.check(settings.secret_key, request.cookies.get(tile_pass.COOKIE), time.time())
    if passed is not None:
        yield Ctx(None, settings, request.app.state.redis, request, None, passed=passed)
        return
    yield from unit_of_work(request)


def provider_unit_of_work(request: Request):
    """For provider webhooks: no session and no CSRF token (the provider sends no cookies);
    the route checks the provider's signature instead."""
    with request.app.state.pool.connection() as conn:
        with conn.transaction():
            yield Ctx(conn.cursor(), settings_of(request), request.app.state.redis, request, None)


def access(level: str, unit=unit_of_work, key_scope: str | None = None):
    """A dependency that opens the unit of work and admits callers at LEVEL, and API keys
    holding KEY_SCOPE (none: sessions only)."""
    if level not in ACCESS_LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    # a default, not an annotation: annotations are strings here and `unit` is local
    def admit(ctx: Ctx = Depends(unit, scope="function")) -> Ctx:  # noqa: B008
        _check_access(level, ctx, key_scope)
        return ctx
    admit.access_level = level
    admit.key_scope = key_scope
    return admit


def public_without_db() -> None:
    """For routes that touch no database and are open to anyone (config, health, pages)."""


public_without_db.access_level = "public"

# scope="function": the transaction commits when the route returns, before the response
# is sent, so a client never sees success for work that then fails to commit.
Public = Annotated[Ctx, Depends(access("public"), scope="function")]
SignedIn = Annotated[Ctx, Depends(access("signed_in"), scope="function")]
Member = Annotated[Ctx, Depends(access("member"), scope="function")]
Admin = Annotated[Ctx, Depends(access("admin"), scope="function")]
Owner = Annotated[Ctx, Depends(access("owner"), scope="function")]
PlatformAdmin = Annotated[Ctx, Depends(access("platform"), scope="function")]
# Signed-in members, or a Pro API key with the scope.
PermitsReader = Annotated[Ctx, Depends(access("signed_in", key_scope="permits:read"), scope="function")]
UsageReader = Annotated[Ctx, Depends(access("member", key_scope="permits:read"), scope="function")]
WebhookAdmin = Annotated[Ctx, Depends(access("admin", key_scope="webhooks:write"), scope="function")]
AlertsReader = Annotated[Ctx, Depends(access("member", key_scope="alerts:read"), scope="function")]
AlertsWriter = Annotated[Ctx, Depends(access("member", key_scope="alerts:write"), scope="function")]
Exporter = Annotated[Ctx, Depends(access("member", key_scope="exports:write"), scope="function")]
PUBLIC = Depends(public_without_db)
TileReader = Annotated[Ctx, Depends(access("signed_in", tile_unit), scope="function")]
# Anyone may call, and the route proves who by the provider's signature.
SignedByProvider = Annotated[Ctx, Depends(access("public", provider_unit_of_work), scope="function")]


def new_anonymous_csrf() -> str:
    return secrets.token_urlsafe(24)
