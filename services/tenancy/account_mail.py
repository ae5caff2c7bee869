"""Account e-mails (verify address, reset password, invitation): PURE composition, sent
through the same e-mail provider as alerts (SMTP or SendGrid)."""

from __future__ import annotations

import html

from services.alerting.channels import Message


def compose(subject: str, lines: list[str], link: str, action: str) -> dict:
    text = "\n\n".join([*lines, f"{action}: {link}", "If this wasn't you, ignore this e-mail.", "- permitwatch"])
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    page = (f"<html><body style=\"font-family:sans-serif\">{body}<p><a href=\"{html.escape(link)}\" "
            f"style=\"background:#0b5cad;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none\">{html.escape(action)}</a></p>"
            f"<p style=\"color:#666\">If this wasn't you, ignore this e-mail.</p></body></html>")
    return {"subject": subject, "text": text, "html": page}


def verify_email(base_url: str, token: str) -> dict:
    return compose("Confirm your e-mail for permitwatch",
                    ["Welcome to permitwatch. Confirm this address so we can send you permit alerts by e-mail."],
                    f"{base_url.rstrip('/')}/app#/verify?token={token}", "Confirm e-mail")


def reset_password(base_url: str, token: str) -> dict:
    return compose("Reset your permitwatch password",
                    ["Someone asked to reset the password of this permitwatch account. The link works for one hour."],
                    f"{base_url.rstrip('/')}/app#/reset?token={token}", "Choose a new password")


def invitation(base_url: str, token: str, workspace: str, inviter: str) -> dict:
    return compose(f"{inviter} invited you to {workspace} on permitwatch",
                    [f"{inviter} invited you to the workspace \"{workspace}\" on permitwatch, to share areas, alerts and permits.",
                     "The invitation works for seven days."],
                    f"{base_url.rstrip('/')}/app#/invite?token={token}", "Join the workspace")


def change_email(base_url: str, token: str) -> dict:
    return compose("Confirm your new e-mail for permitwatch",
                    ["Someone asked to move a permitwatch account to this address. The link works for one day; "
                     "the account keeps its old address until it is opened."],
                    f"{base_url.rstrip('/')}/app#/email?token={token}", "Use this address")


def phone_code_text(code: str) -> str:
    return f"permitwatch: your code is {code}. It expires in 10 minutes. Reply STOP to stop texts."


def message(to: str, payload: dict, ref: str) -> Message:
    return Message(outbox_id=0, channel="email", to=to, payload=payload, ref=ref)
