"""Accounts: sign-up, sign-in/out, e-mail verification, password reset, workspaces of the
signed-in user, invitations. Thin: parse, call services.tenancy, set cookies."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Response
from fastapi import Path as PathParam
from pydantic import Field

from services.api.deps import CSRF_COOKIE, SESSION_COOKIE, Ctx, Public, SignedIn, new_anonymous_csrf
from services.api.problems import Problem
from services.api.schemas import Accepted, In, InvitationPreview, Me, Sent, SignedUp, UserRef, Verified, WorkspaceRef
from services.audit.trail import audit
from services.tenancy import account_mail, accounts, members, ratelimit, sessions, tile_pass
from services.tenancy.credentials import csrf_token
from services.tenancy.mailer import send_mail

router = APIRouter(prefix="/auth", tags=["accounts"])


class SignUp(In):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)
    workspace_name: str | None = Field(default=None, max_length=120)
    display_name: str | None = Field(default=None, max_length=120)
    invitation: str | None = Field(default=None, max_length=200)


class SignIn(In):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class TokenBody(In):
    token: str = Field(max_length=200)


class ResetRequest(In):
    email: str = Field(max_length=254)


class ResetConfirm(In):
    token: str = Field(max_length=200)
    password: str = Field(max_length=256)


class Switch(In):
    workspace_id: uuid.UUID


def _start_session(ctx: Ctx, response: Response, user_id: uuid.UUID, workspace_id: uuid.UUID | None) -> None:
    token = sessions.create(ctx.cur, user_id, workspace_id, days=ctx.settings.session_days, ip=ctx.client_ip,
                            user_agent=ctx.request.headers.get("user-agent"))
    age = ctx.settings.session_days * 86400
    secure = ctx.settings.cookie_secure
    response.set_cookie(SESSION_COOKIE, token, max_age=age, httponly=True, samesite="lax", secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, csrf_token(ctx.settings.secret_key, token), max_age=age, samesite="lax", secure=secure, path="/")


def _me(ctx: Ctx) -> dict:
    s = ctx.user
    return {"user": {"id": str(s.user_id), "email": s.email, "display_name": s.display_name, "email_verified": s.email_verified,
                     "platform_admin": s.platform_admin},
            "workspace_id": str(s.workspace_id) if s.workspace_id else None, "role": s.role,
            "workspaces": sessions.workspaces_of(ctx.cur, s.user_id)}


@router.get("/me", response_model=Me, summary="The signed-in user (null when signed out), their workspaces and the one in use")
def me(ctx: Public, response: Response) -> Me:
    if ctx.session is None:
        # Signed-out pages still need a CSRF token for the sign-in and sign-up forms.
        if not ctx.request.cookies.get(CSRF_COOKIE):
            response.set_cookie(CSRF_COOKIE, new_anonymous_csrf(), samesite="lax", secure=ctx.settings.cookie_secure, path="/")
        return {"user": None, "workspace_id": None, "role": None, "workspaces": []}
    return _me(ctx)


@router.post("/signup", response_model=SignedUp, status_code=201, summary="Create an account and its workspace, and sign in")
def signup(body: SignUp, ctx: Public, response: Response, background: BackgroundTasks) -> SignedUp:
    user, ws = accounts.signup(ctx.cur, body.email, body.password, workspace_name=body.workspace_name, display_name=body.display_name)
    if body.invitation:
        ws = members.accept_invitation(ctx.cur, body.invitation, user.id, user.email)
    token = accounts.issue_token(ctx.cur, user.id, "verify_email")
    _start_session(ctx, response, user.id, ws)
    background.add_task(send_mail, ctx.settings, user.email, account_mail.verify_email(ctx.settings.public_base_url, token), f"verify-{user.id}")
    return {"user_id": str(user.id), "workspace_id": str(ws)}


@router.post("/login", response_model=UserRef, summary="Sign in with e-mail and password (rate limited)")
def login(body: SignIn, ctx: Public, response: Response) -> UserRef:
    who = {"email": body.email, "client": ctx.client_ip}
    verdict = ratelimit.verdict(ctx.redis, ctx.settings.login_attempts_per_15min, **who)
    if verdict.wait:
        raise Problem(429, "too-many-attempts", "Too many sign-in attempts",
                      f"too many failed sign-ins for this account from here; try again in {verdict.wait // 60 + 1} minutes "
                      "or reset the password", headers={"Retry-After": str(verdict.wait)})
    if verdict.delay:
        time.sleep(verdict.delay)  # many failures from this address: slower, but the right password still works
    user = accounts.authenticate(ctx.cur, body.email, body.password)
    if user is None:
        ratelimit.record_failure(ctx.redis, **who)
        raise Problem(401, "bad-credentials", "Sign-in failed", "that e-mail and password do not match an account")
    ratelimit.clear(ctx.redis, **who)
    ws = sessions.workspaces_of(ctx.cur, user.id)
    _start_session(ctx, response, user.id, uuid.UUID(ws[0]["id"]) if ws else None)
    if ws:
        audit(ctx.cur, uuid.UUID(ws[0]["id"]), user.id, "user.signed_in", "user", user.id, {"ip": ctx.client_ip})
    return {"user_id": str(user.id)}


@router.post("/logout", response_model=None, status_code=204, summary="End this session", response_class=Response)
def logout(ctx: Public, response: Response) -> Response:
    if ctx.session:
        sessions.revoke(ctx.cur, ctx.session.token)
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(tile_pass.COOKIE, path=tile_pass.PATH)
    response.set_cookie(CSRF_COOKIE, new_anonymous_csrf(), samesite="lax", secure=ctx.settings.cookie_secure, path="/")
    return response


@router.post("/verify", response_model=Verified, summary="Confirm an e-mail address with the link's token")
def verify(body: TokenBody, ctx: Public) -> Verified:
    accounts.verify_email(ctx.cur, body.token)
    return {"verified": True}


@router.post("/verify/resend", response_model=Sent, status_code=202, summary="Send the confirmation e-mail again")
def resend_verification(ctx: SignedIn, background: BackgroundTasks) -> Sent:
    s = ctx.user
    if s.email_verified:
        return {"sent": False, "detail": "already confirmed"}
    token = accounts.issue_token(ctx.cur, s.user_id, "verify_email")
    background.add_task(send_mail, ctx.settings, s.email, account_mail.verify_email(ctx.settings.public_base_url, token), f"verify-{s.user_id}")
    return {"sent": True}


@router.post("/password-reset", response_model=Accepted, status_code=202, summary="E-mail a reset link (the answer is the same for unknown addresses)")
def password_reset(body: ResetRequest, ctx: Public, background: BackgroundTasks) -> Accepted:
    found = accounts.start_password_reset(ctx.cur, body.email)
    if found:
        user, token = found
        background.add_task(send_mail, ctx.settings, user.email, account_mail.reset_password(ctx.settings.public_base_url, token), f"reset-{user.id}")
    return {"detail": "if that address has an account, a reset link is on its way"}


@router.post("/password-reset/confirm", response_model=UserRef, summary="Set a new password with the link's token; other sessions end")
def password_reset_confirm(body: ResetConfirm, ctx: Public, response: Response) -> UserRef:
    user_id = accounts.finish_password_reset(ctx.cur, body.token, body.password)
    ws = sessions.workspaces_of(ctx.cur, user_id)
    _start_session(ctx, response, user_id, uuid.UUID(ws[0]["id"]) if ws else None)
    return {"user_id": str(user_id)}


@router.post("/workspace", response_model=WorkspaceRef, summary="Switch the workspace this session works in")
def switch(body: Switch, ctx: SignedIn) -> WorkspaceRef:
    if not sessions.switch_workspace(ctx.cur, ctx.user, body.workspace_id):
        raise Problem(404, "not-found", "Not found", f"you are not a member of workspace {body.workspace_id}")
    return {"workspace_id": str(body.workspace_id)}


@router.get("/invitations/{token}", response_model=InvitationPreview, summary="What an invitation link is for (before joining)")
def invitation(token: Annotated[str, PathParam(max_length=200)], ctx: Public) -> InvitationPreview:
    inv = members.preview_invitation(ctx.cur, token)
    return {"workspace_name": inv["workspace_name"], "email": inv["email"], "role": inv["role"]}


@router.post("/invitations/accept", response_model=WorkspaceRef, summary="Join the workspace of an invitation, as the signed-in user")
def accept(body: TokenBody, ctx: SignedIn) -> WorkspaceRef:
    ws = members.accept_invitation(ctx.cur, body.token, ctx.user.user_id, ctx.user.email)
    sessions.switch_workspace(ctx.cur, ctx.user, ws)
    return {"workspace_id": str(ws)}
