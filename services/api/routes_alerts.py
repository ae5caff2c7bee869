"""Alert rules, sample alerts, the notification center, and the workspace's members and
invitations. Thin over services.alerting and services.tenancy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response

from services.alerting import inbox, rule_store, test_alert
from services.alerting.delivery import providers_from
from services.alerting.rules import RuleNotFound, RuleSpec
from services.alerting.samples import sample_matches
from services.api.deps import Admin, AlertsReader, AlertsWriter, Member
from services.api.schemas import (
    Enabled,
    Id,
    InviteIn,
    Marked,
    Notifications,
    PermitMatch,
    ReadBody,
    RoleIn,
    RoleOut,
    RuleIn,
    RuleOut,
    RuleWithSamples,
    Team,
    TestAlert,
    Unread,
)
from services.tenancy import account_mail, members, profile
from services.tenancy.mailer import send_mail

router = APIRouter(prefix="/v1", tags=["alerts and workspace"])


def _spec(body: RuleIn, me: uuid.UUID | None) -> RuleSpec:
    data = body.model_dump(exclude_none=False)
    data["recipients"] = data["recipients"] or ([me] if me else [])
    return RuleSpec(**data)


def _rule(ctx, rule_id: uuid.UUID) -> dict:
    found = rule_store.list_rules(ctx.cur, rule_id)
    if not found:
        raise RuleNotFound(f"alert rule {rule_id} does not exist in this workspace")
    return found[0]


@router.get("/alert-rules", response_model=list[RuleOut], summary="Alert rules")
def list_rules(ctx: AlertsReader) -> list[RuleOut]:
    return rule_store.list_rules(ctx.cur)


@router.post("/alert-rules", response_model=RuleWithSamples, status_code=201, summary="Create an alert rule; the answer includes sample alerts")
def create_rule(body: RuleIn, ctx: AlertsWriter) -> RuleWithSamples:
    rid = rule_store.save(ctx.cur, ctx.workspace_id, _spec(body, ctx.by), actor=ctx.by)
    samples, total = sample_matches(ctx.cur, rid)
    return RuleWithSamples(**_rule(ctx, rid), samples=samples, sample_total=total)


@router.put("/alert-rules/{rule_id}", response_model=RuleOut, summary="Change an alert rule")
def update_rule(rule_id: uuid.UUID, body: RuleIn, ctx: AlertsWriter) -> RuleOut:
    rule_store.save(ctx.cur, ctx.workspace_id, _spec(body, ctx.by), actor=ctx.by, rule_id=rule_id)
    return _rule(ctx, rule_id)


@router.post("/alert-rules/{rule_id}/enabled", response_model=RuleOut, summary="Pause or resume an alert rule")
def enable_rule(rule_id: uuid.UUID, body: Enabled, ctx: AlertsWriter) -> RuleOut:
    rule_store.set_enabled(ctx.cur, ctx.workspace_id, rule_id, body.enabled, actor=ctx.by)
    return _rule(ctx, rule_id)


@router.delete("/alert-rules/{rule_id}", response_model=None, status_code=204, summary="Delete an alert rule", response_class=Response)
def delete_rule(rule_id: uuid.UUID, ctx: AlertsWriter) -> None:
    rule_store.delete(ctx.cur, ctx.workspace_id, rule_id, actor=ctx.by)


@router.get("/alert-rules/{rule_id}/samples", response_model=list[PermitMatch], summary="Recent permits this rule would have matched")
def rule_samples(rule_id: uuid.UUID, ctx: AlertsReader, days: Annotated[int, Query(ge=1, le=730)] = 90) -> list[PermitMatch]:
    _rule(ctx, rule_id)
    return sample_matches(ctx.cur, rule_id, days=days)[0]


@router.post("/alert-rules/{rule_id}/test", response_model=TestAlert, summary="Send me a test alert from this rule, now, on its channels")
def test_rule(rule_id: uuid.UUID, ctx: Member) -> TestAlert:
    me = profile.profile(ctx.cur, ctx.user.user_id)
    return TestAlert(sent_to=test_alert.send_test(ctx.cur, ctx.settings, providers_from(ctx.settings), ctx.workspace_id, me, rule_id))


@router.get("/notifications", response_model=Notifications, summary="Your notifications, newest first, with SMS/e-mail delivery status")
def notifications(ctx: Member, unread: bool = False, before: datetime | None = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Notifications:
    me = ctx.user.user_id
    return {"unread": inbox.unread_count(ctx.cur, me),
            "items": inbox.list_notifications(ctx.cur, me, unread_only=unread, limit=limit, before=before)}


@router.get("/notifications/unread-count", response_model=Unread, summary="How many notifications you have not read")
def unread(ctx: Member) -> Unread:
    return {"unread": inbox.unread_count(ctx.cur, ctx.user.user_id)}


@router.post("/notifications/read", response_model=Marked, summary="Mark notifications read (all when no ids are given)")
def mark_read(body: ReadBody, ctx: Member) -> Marked:
    return {"marked": inbox.mark_read(ctx.cur, ctx.user.user_id, body.ids)}


@router.get("/workspace/members", response_model=Team, summary="Members of the workspace and open invitations")
def list_members(ctx: Member) -> Team:
    return {"members": members.list_members(ctx.cur), "invitations": members.list_invitations(ctx.cur), "your_role": ctx.user.role}


@router.post("/workspace/invitations", response_model=Id, status_code=201, summary="Invite someone by e-mail (owners and admins)")
def invite(body: InviteIn, ctx: Admin, background: BackgroundTasks) -> Id:
    inv, token = members.invite(ctx.cur, ctx.actor, body.email, body.role)
    payload = account_mail.invitation(ctx.settings.public_base_url, token, members.workspace_name(ctx.cur), ctx.user.display_name or ctx.user.email)
    background.add_task(send_mail, ctx.settings, body.email.strip(), payload, f"invite-{inv}")
    return Id(id=inv)


@router.delete("/workspace/invitations/{invitation_id}", response_model=None, status_code=204, summary="Revoke an invitation", response_class=Response)
def revoke(invitation_id: uuid.UUID, ctx: Admin) -> None:
    members.revoke_invitation(ctx.cur, ctx.actor, invitation_id)


@router.patch("/workspace/members/{user_id}", response_model=RoleOut, summary="Change a member's role")
def set_role(user_id: uuid.UUID, body: RoleIn, ctx: Admin) -> RoleOut:
    members.set_role(ctx.cur, ctx.actor, user_id, body.role)
    return RoleOut(user_id=user_id, role=body.role)


@router.delete("/workspace/members/{user_id}", response_model=None, status_code=204, summary="Remove a member (or leave)", response_class=Response)
def remove(user_id: uuid.UUID, ctx: Member) -> None:
    members.remove_member(ctx.cur, ctx.actor, user_id)
