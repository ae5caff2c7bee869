"""Alert rules, sample alerts, the notification center, and the workspace's members and
invitations. Thin over services.alerting and services.tenancy."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.alerting import inbox, rule_store
from services.alerting.rules import RuleSpec
from services.alerting.samples import sample_matches
from services.api.deps import Tx
from services.tenancy import account_mail, members
from services.tenancy.mailer import send_mail

router = APIRouter(prefix="/v1", tags=["alerts and workspace"])


class RuleIn(BaseModel):
    name: str = Field(max_length=120)
    aoi_id: uuid.UUID | None = None
    saved_search_id: uuid.UUID | None = None
    watchlist_id: uuid.UUID | None = None
    notify_on: Literal["new_only", "new_and_amendments", "all_changes"] = "new_only"
    change_types: list[str] | None = None
    channels: dict[str, bool] = Field(default_factory=lambda: {"in_app": True})
    recipients: list[uuid.UUID] = Field(default_factory=list, description="members to notify; empty = you")
    quiet_hours: dict | None = Field(default=None, description='{"start": "22:00", "end": "07:00"}')
    timezone: str = "America/Chicago"
    digest_mode: Literal["none", "daily", "weekly"] = "none"
    digest_at: str = "07:00"
    digest_weekday: int = Field(default=0, ge=0, le=6)
    enabled: bool = True


class Enabled(BaseModel):
    enabled: bool


class ReadBody(BaseModel):
    ids: list[uuid.UUID] | None = Field(default=None, description="omit to mark all read")


class InviteIn(BaseModel):
    email: str = Field(max_length=254)
    role: Literal["admin", "member"] = "member"


class RoleIn(BaseModel):
    role: Literal["owner", "admin", "member"]


def _spec(body: RuleIn, me: uuid.UUID) -> RuleSpec:
    data = body.model_dump()
    data["recipients"] = data["recipients"] or [me]
    return RuleSpec(**data)


def _rules(ctx, rule_id: uuid.UUID | None = None) -> list[dict]:
    return json.loads(json.dumps(rule_store.list_rules(ctx.cur, rule_id), default=str))


@router.get("/alert-rules", summary="Alert rules")
def list_rules(ctx: Tx) -> list[dict]:
    ctx.workspace_id  # noqa: B018
    return _rules(ctx)


@router.post("/alert-rules", status_code=201, summary="Create an alert rule; the answer includes sample alerts")
def create_rule(body: RuleIn, ctx: Tx) -> JSONResponse:
    rid = rule_store.save(ctx.cur, ctx.workspace_id, _spec(body, ctx.user.user_id), actor=ctx.user.user_id)
    samples = json.loads(json.dumps(sample_matches(ctx.cur, rid), default=str))
    return JSONResponse({**_rules(ctx, rid)[0], "samples": samples}, status_code=201)


@router.put("/alert-rules/{rule_id}", summary="Change an alert rule")
def update_rule(rule_id: uuid.UUID, body: RuleIn, ctx: Tx) -> dict:
    rule_store.save(ctx.cur, ctx.workspace_id, _spec(body, ctx.user.user_id), actor=ctx.user.user_id, rule_id=rule_id)
    return _rules(ctx, rule_id)[0]


@router.post("/alert-rules/{rule_id}/enabled", summary="Pause or resume an alert rule")
def enable_rule(rule_id: uuid.UUID, body: Enabled, ctx: Tx) -> dict:
    rule_store.set_enabled(ctx.cur, ctx.workspace_id, rule_id, body.enabled, actor=ctx.user.user_id)
    return _rules(ctx, rule_id)[0]


@router.delete("/alert-rules/{rule_id}", status_code=204, summary="Delete an alert rule")
def delete_rule(rule_id: uuid.UUID, ctx: Tx) -> None:
    rule_store.delete(ctx.cur, ctx.workspace_id, rule_id, actor=ctx.user.user_id)


@router.get("/alert-rules/{rule_id}/samples", summary="Recent permits this rule would have matched")
def rule_samples(rule_id: uuid.UUID, ctx: Tx, days: Annotated[int, Query(ge=1, le=730)] = 90) -> list[dict]:
    if not _rules(ctx, rule_id):
        raise LookupError(f"alert rule {rule_id} does not exist in this workspace")
    return json.loads(json.dumps(sample_matches(ctx.cur, rule_id, days=days), default=str))


@router.get("/notifications", summary="Your notifications, newest first, with SMS/e-mail delivery status")
def notifications(ctx: Tx, unread: bool = False, before: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    me = ctx.user.user_id
    ctx.workspace_id  # noqa: B018
    return {"unread": inbox.unread_count(ctx.cur, me),
            "items": inbox.list_notifications(ctx.cur, me, unread_only=unread, limit=limit, before=before)}


@router.get("/notifications/unread-count", summary="How many notifications you have not read")
def unread(ctx: Tx) -> dict:
    ctx.workspace_id  # noqa: B018
    return {"unread": inbox.unread_count(ctx.cur, ctx.user.user_id)}


@router.post("/notifications/read", summary="Mark notifications read (all when no ids are given)")
def mark_read(body: ReadBody, ctx: Tx) -> dict:
    ctx.workspace_id  # noqa: B018
    return {"marked": inbox.mark_read(ctx.cur, ctx.user.user_id, body.ids)}


@router.get("/workspace/members", summary="Members of the workspace and open invitations")
def list_members(ctx: Tx) -> dict:
    ctx.workspace_id  # noqa: B018
    return {"members": members.list_members(ctx.cur), "invitations": members.list_invitations(ctx.cur), "your_role": ctx.user.role}


@router.post("/workspace/invitations", status_code=201, summary="Invite someone by e-mail (owners and admins)")
def invite(body: InviteIn, ctx: Tx, background: BackgroundTasks) -> dict:
    inv, token = members.invite(ctx.cur, ctx.actor, body.email, body.role)
    payload = account_mail.invitation(ctx.settings.public_base_url, token, members.workspace_name(ctx.cur), ctx.user.display_name or ctx.user.email)
    background.add_task(send_mail, ctx.settings, body.email.strip(), payload, f"invite-{inv}")
    return {"id": str(inv)}


@router.delete("/workspace/invitations/{invitation_id}", status_code=204, summary="Revoke an invitation")
def revoke(invitation_id: uuid.UUID, ctx: Tx) -> None:
    members.revoke_invitation(ctx.cur, ctx.actor, invitation_id)


@router.patch("/workspace/members/{user_id}", summary="Change a member's role")
def set_role(user_id: uuid.UUID, body: RoleIn, ctx: Tx) -> dict:
    members.set_role(ctx.cur, ctx.actor, user_id, body.role)
    return {"user_id": str(user_id), "role": body.role}


@router.delete("/workspace/members/{user_id}", status_code=204, summary="Remove a member (or leave)")
def remove(user_id: uuid.UUID, ctx: Tx) -> None:
    members.remove_member(ctx.cur, ctx.actor, user_id)
