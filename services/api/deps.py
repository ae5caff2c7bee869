"""Request plumbing: the connection pool, Redis, and the unit of work. Every request that
touches the database runs in ONE transaction that first loads the session from its cookie
and sets that workspace's RLS context (transaction-local), so a query that forgets a
workspace filter still cannot see another workspace's rows. Unsafe methods must carry the
CSRF token bound to the session."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated

import psycopg
from fastapi import Depends, Request
from psycopg_pool import ConnectionPool
from redis import Redis

from services.api.problems import Problem, unauthenticated
from services.errors import KeptRefusal
from services.settings import Settings
from services.tenancy import sessions
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

    @property
    def user(self) -> sessions.Session:
        if self.session is None:
            raise unauthenticated()
        return self.session

    @property
    def workspace_id(self) -> uuid.UUID:
        s = self.user
        if s.workspace_id is None:
            raise Problem(403, "no-workspace", "No workspace", "you are not a member of any workspace; accept an invitation or sign up again")
        return s.workspace_id

    @property
    def actor(self) -> Actor:
        return Actor(self.workspace_id, self.user.user_id, self.user.role)

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


def unit_of_work(request: Request):
    settings = settings_of(request)
    pool: ConnectionPool = request.app.state.pool
    token = request.cookies.get(SESSION_COOKIE)
    with pool.connection() as conn:
        kept = None
        with conn.transaction():
            cur = conn.cursor()
            session = sessions.load(cur, token)
            check_csrf(request, settings, session.token if session else None)
            try:
                yield Ctx(cur, settings, request.app.state.redis, request, session)
            except KeptRefusal as exc:
                kept = exc  # leaving the block normally commits what the refusal wrote
        if kept is not None:
            raise kept


# Who may call a route, declared once per route as the type of its context parameter (or
# as a route dependency when it needs no database). A test walks the app's routes and fails
# on any route without one of these.
ACCESS_LEVELS = ("public", "signed_in", "member", "admin", "owner")
ROLE_AT_LEAST = {"member": {"owner", "admin", "member"}, "admin": {"owner", "admin"}, "owner": {"owner"}}


def _check_access(level: str, ctx: Ctx) -> None:
    if level == "public":
        return
    ctx.user  # noqa: B018 -- raises 401 when signed out
    if level == "signed_in":
        return
    ctx.workspace_id  # noqa: B018 -- raises 403 without a workspace
    require(ctx.user.role, ROLE_AT_LEAST[level], "this action")


def provider_unit_of_work(request: Request):
    """For provider webhooks: no session and no CSRF token (the provider sends no cookies);
    the route checks the provider's signature instead."""
    with request.app.state.pool.connection() as conn:
        with conn.transaction():
            yield Ctx(conn.cursor(), settings_of(request), request.app.state.redis, request, None)


def access(level: str, unit=unit_of_work):
    """A dependency that opens the unit of work and admits callers at LEVEL."""
    if level not in ACCESS_LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    # a default, not an annotation: annotations are strings here and `unit` is local
    def admit(ctx: Ctx = Depends(unit, scope="function")) -> Ctx:  # noqa: B008
        _check_access(level, ctx)
        return ctx
    admit.access_level = level
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
PUBLIC = Depends(public_without_db)
# Anyone may call, and the route proves who by the provider's signature.
SignedByProvider = Annotated[Ctx, Depends(access("public", provider_unit_of_work), scope="function")]


def new_anonymous_csrf() -> str:
    return secrets.token_urlsafe(24)
