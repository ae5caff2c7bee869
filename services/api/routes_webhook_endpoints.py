"""Outbound webhooks (/v1/webhooks): owners and admins, or a key with webhooks:write,
register HTTPS endpoints for alert events and permit changes, rotate their secrets, send a
test event and read the delivery log. Thin over services.webhooks.endpoints."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.api.deps import PUBLIC, WebhookAdmin
from services.api.schemas import (
    WebhookCreated,
    WebhookDelivery,
    WebhookEventType,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    WebhookRotateIn,
    WebhookSecret,
    WebhookTestOut,
)
from services.webhooks import endpoints

router = APIRouter(prefix="/v1", tags=["webhooks"])


@router.get("/webhook-events", response_model=list[WebhookEventType], dependencies=[PUBLIC],
            summary="The events an endpoint can subscribe to")
def event_types() -> list[dict]:
    return [{"name": k, "description": v} for k, v in endpoints.EVENTS.items()]


@router.get("/webhooks", response_model=list[WebhookOut], summary="The workspace's webhook endpoints (never their secrets)")
def list_webhooks(ctx: WebhookAdmin) -> list[dict]:
    return endpoints.list_endpoints(ctx.cur)


@router.post("/webhooks", response_model=WebhookCreated, status_code=201,
             summary="Register an endpoint; the answer shows its signing secret once")
def create_webhook(body: WebhookIn, ctx: WebhookAdmin) -> dict:
    eid, secret = endpoints.create(ctx.cur, ctx.settings, ctx.workspace_id, ctx.by, body.url, list(body.events), body.description)
    return {**endpoints.get(ctx.cur, eid), "secret": secret}


@router.patch("/webhooks/{endpoint_id}", response_model=WebhookOut, summary="Change an endpoint's URL, events or description, or turn it off or on")
def update_webhook(endpoint_id: uuid.UUID, body: WebhookPatch, ctx: WebhookAdmin) -> dict:
    endpoints.update(ctx.cur, ctx.settings, ctx.workspace_id, ctx.by, endpoint_id, body.model_dump(exclude_unset=True))
    return endpoints.get(ctx.cur, endpoint_id)


@router.delete("/webhooks/{endpoint_id}", response_model=None, status_code=204, response_class=Response,
               summary="Delete an endpoint and its delivery log")
def delete_webhook(endpoint_id: uuid.UUID, ctx: WebhookAdmin) -> Response:
    endpoints.delete(ctx.cur, ctx.workspace_id, ctx.by, endpoint_id)
    return Response(status_code=204)


@router.post("/webhooks/{endpoint_id}/rotate", response_model=WebhookSecret,
             summary="A new signing secret; the old one keeps signing too for the overlap")
def rotate_webhook_secret(endpoint_id: uuid.UUID, body: WebhookRotateIn, ctx: WebhookAdmin) -> dict:
    secret = endpoints.rotate(ctx.cur, ctx.settings, ctx.workspace_id, ctx.by, endpoint_id, body.overlap_hours)
    return {"secret": secret, "previous_until": endpoints.get(ctx.cur, endpoint_id)["previous_until"]}


@router.post("/webhooks/{endpoint_id}/test", response_model=WebhookTestOut, status_code=202,
             summary="Send the endpoint a signed test event (type ping) now")
def test_webhook(endpoint_id: uuid.UUID, ctx: WebhookAdmin) -> dict:
    oid = endpoints.send_test(ctx.cur, ctx.workspace_id, ctx.by, endpoint_id)
    return {"delivery_id": oid, "event_id": endpoints.event_id(oid)}


@router.get("/webhooks/{endpoint_id}/deliveries", response_model=list[WebhookDelivery],
            summary="The endpoint's delivery log: the latest deliveries of the last 30 days, each with its attempts")
def webhook_deliveries(endpoint_id: uuid.UUID, ctx: WebhookAdmin,
                       limit: Annotated[int, Query(ge=1, le=200, description="how many deliveries")] = 50) -> list[dict]:
    return endpoints.deliveries(ctx.cur, endpoint_id, limit)
