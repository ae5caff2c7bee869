"""Pro API keys (/v1/api-keys): owners and admins make, list, revoke and roll them. The key
itself is in the answer to its creation (or roll) only. Thin over services.apikeys."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from services.api.deps import PUBLIC, Admin, UsageReader
from services.api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, ApiKeyRollIn, Changelog, UsageOut
from services.apikeys import store, usage

router = APIRouter(prefix="/v1", tags=["api keys"])


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="The workspace's API keys (never the keys themselves)")
def list_keys(ctx: Admin) -> list[dict]:
    return store.list_keys(ctx.cur)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, summary="Make an API key; the answer shows it once")
def create_key(body: ApiKeyIn, ctx: Admin) -> dict:
    kid, key = store.create(ctx.cur, ctx.workspace_id, ctx.user.user_id, body.name, body.scopes, body.expires_at, body.allowed_ips)
    return {**store.get(ctx.cur, kid), "key": key}


@router.post("/api-keys/{key_id}/revoke", response_model=ApiKeyOut, summary="Revoke a key: refused from the next request on")
def revoke_key(key_id: uuid.UUID, ctx: Admin) -> dict:
    store.revoke(ctx.cur, ctx.workspace_id, ctx.user.user_id, key_id)
    return store.get(ctx.cur, key_id)


@router.post("/api-keys/{key_id}/roll", response_model=ApiKeyCreated, status_code=201,
             summary="A new key for an old one, which keeps working for the overlap")
def roll_key(key_id: uuid.UUID, body: ApiKeyRollIn, ctx: Admin) -> dict:
    kid, key = store.roll(ctx.cur, ctx.workspace_id, ctx.user.user_id, key_id, body.overlap_hours)
    return {**store.get(ctx.cur, kid), "key": key}


@router.get("/usage", response_model=UsageOut, summary="This month's API use: per key, per day, against the quota")
def api_usage(ctx: UsageReader) -> dict:
    return usage.month(ctx.cur, ctx.redis, ctx.workspace_id, store.policy_of(ctx.cur, ctx.workspace_id, ctx.settings.api_rate_per_minute))


@router.get("/changelog", response_model=Changelog, dependencies=[PUBLIC],
            summary="Operations on their way out: since when, their sunset, and what to use instead")
def changelog(request: Request) -> dict:
    return {"deprecated": [{"operation": d.operation, "since": d.since, "sunset": d.sunset, "instead": d.instead, "note": d.note}
                           for d in request.app.state.deprecations]}
