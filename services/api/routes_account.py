"""The signed-in person's own account: profile and time zone, password, phone with a
texted code, e-mail change by link, closing the account. Thin over services.tenancy.profile."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response
from pydantic import Field

from services.api.deps import SESSION_COOKIE, Public, SignedIn
from services.api.schemas import Accepted, AccountOut, In
from services.tenancy import account_mail, profile, tile_pass
from services.tenancy.credentials import token_hash
from services.tenancy.mailer import send_mail, send_sms

router = APIRouter(prefix="/v1/account", tags=["account"])


class ProfileIn(In):
    display_name: str | None = Field(default=None, max_length=120)
    timezone: str | None = Field(default=None, max_length=64, description="IANA name, e.g. America/Chicago")


class PasswordIn(In):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class PhoneIn(In):
    phone: str = Field(max_length=32, description="a mobile number; US numbers as typed, others with + and country code")


class CodeIn(In):
    code: str = Field(max_length=12, description="the 6 digits texted to the phone")


class EmailIn(In):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256, description="your current password")


class TokenIn(In):
    token: str = Field(max_length=200)


class PasswordOnly(In):
    password: str = Field(max_length=256)


def _out(ctx) -> AccountOut:
    return AccountOut(**profile.profile(ctx.cur, ctx.user.user_id))


@router.get("", response_model=AccountOut, summary="Your account: name, e-mail, phone, time zone, and any paused channel")
def get_account(ctx: SignedIn) -> AccountOut:
    return _out(ctx)


@router.patch("", response_model=AccountOut, summary="Change your name or time zone")
def update_account(body: ProfileIn, ctx: SignedIn) -> AccountOut:
    profile.update(ctx.cur, ctx.user.user_id, ctx.user.workspace_id, display_name=body.display_name, timezone=body.timezone)
    return _out(ctx)


@router.post("/password", response_model=AccountOut, summary="Change your password (your other sessions end)")
def change_password(body: PasswordIn, ctx: SignedIn) -> AccountOut:
    profile.change_password(ctx.cur, ctx.user.user_id, ctx.user.workspace_id, body.current_password, body.new_password,
                            token_hash(ctx.request.cookies.get(SESSION_COOKIE, "")))
    return _out(ctx)


@router.post("/phone", response_model=AccountOut, status_code=202, summary="Add or change your phone: we text it a 6-digit code")
def add_phone(body: PhoneIn, ctx: SignedIn, background: BackgroundTasks) -> AccountOut:
    sent = profile.start_phone_verification(ctx.cur, ctx.settings.secret_key, ctx.user.user_id, body.phone)
    background.add_task(send_sms, ctx.settings, sent.phone, account_mail.phone_code_text(sent.code), f"phone-{ctx.user.user_id}")
    return _out(ctx)


@router.post("/phone/verify", response_model=AccountOut, summary="Confirm your phone with the texted code")
def verify_phone(body: CodeIn, ctx: SignedIn) -> AccountOut:
    profile.confirm_phone(ctx.cur, ctx.settings.secret_key, ctx.user.user_id, ctx.user.workspace_id, body.code)
    return _out(ctx)


@router.delete("/phone", response_model=AccountOut, summary="Remove your phone (SMS alerts stop)")
def remove_phone(ctx: SignedIn) -> AccountOut:
    profile.remove_phone(ctx.cur, ctx.user.user_id, ctx.user.workspace_id)
    return _out(ctx)


@router.post("/email", response_model=Accepted, status_code=202, summary="Change your e-mail: we send a confirmation link to the new address")
def change_email(body: EmailIn, ctx: SignedIn, background: BackgroundTasks) -> Accepted:
    email, token = profile.start_email_change(ctx.cur, ctx.user.user_id, body.email, body.password)
    background.add_task(send_mail, ctx.settings, email, account_mail.change_email(ctx.settings.public_base_url, token),
                        f"change-email-{ctx.user.user_id}")
    return Accepted(detail=f"we sent a link to {email}; your address changes when you open it")


@router.post("/email/confirm", response_model=Accepted, summary="Confirm a new e-mail address with the link's token")
def confirm_email(body: TokenIn, ctx: Public) -> Accepted:
    _, _, new = profile.confirm_email_change(ctx.cur, body.token, ctx.session.workspace_id if ctx.session else None)
    return Accepted(detail=f"your e-mail is now {new}")


@router.post("/delete", response_model=None, status_code=204, response_class=Response,
             summary="Close your account (workspaces where you are alone are deleted with it)")
def delete_account(body: PasswordOnly, ctx: SignedIn, response: Response) -> None:
    profile.delete_account(ctx.cur, ctx.user.user_id, body.password)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(tile_pass.COOKIE, path=tile_pass.PATH)
