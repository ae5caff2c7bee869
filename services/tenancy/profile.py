"""A person's own account, as they manage it: name, time zone, password, phone (verified
by a texted code), e-mail (changed only through a link sent to the new address), and
closing the account. Also what carriers and mail providers tell us about that person's
number and address: STOP/START keywords and pauses after undeliverable messages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from services.alerting.schedule import ScheduleError, zone
from services.audit.trail import audit
from services.errors import FieldError, InvalidInput, KeptRefusal
from services.tenancy import phones
from services.tenancy.credentials import (
    CredentialError,
    check_password,
    hash_password,
    new_token,
    normalize_email,
    token_hash,
    verify_password,
)

CHANGE_EMAIL_TTL = timedelta(days=1)


@dataclass(frozen=True)
class PhoneCode:
    phone: str
    code: str


def profile(cur: psycopg.Cursor, user_id: uuid.UUID) -> dict:
    row = cur.execute(
        "SELECT u.id, u.email, u.display_name, u.email_verified_at IS NOT NULL, u.phone, u.phone_verified_at IS NOT NULL, u.timezone, "
        "u.sms_opted_out_at IS NOT NULL, u.sms_paused_reason, u.email_paused_reason, v.phone, v.expires_at "
        "FROM users u LEFT JOIN phone_verifications v ON v.user_id = u.id WHERE u.id = %s", (user_id,)).fetchone()
    return {"id": row[0], "email": row[1], "display_name": row[2], "email_verified": row[3], "phone": row[4], "phone_verified": row[5],
            "timezone": row[6], "sms_opted_out": row[7], "sms_paused_reason": row[8], "email_paused_reason": row[9],
            "pending_phone": row[10] if row[11] and row[11] > datetime.now(UTC) else None}


def _audit_everywhere(cur: psycopg.Cursor, user_id: uuid.UUID, workspace_id: uuid.UUID | None, action: str, details: dict) -> None:
    """An account change is audited in the workspace the person is working in (account
    changes concern every workspace, but each workspace's audit log is its own)."""
    audit(cur, workspace_id, user_id, action, "user", user_id, details)


def update(cur: psycopg.Cursor, user_id: uuid.UUID, workspace_id: uuid.UUID | None, *, display_name: str | None = None,
           timezone: str | None = None) -> None:
    changes = {}
    if display_name is not None:
        name = display_name.strip()
        if len(name) > 120:
            raise FieldError("display_name", "must be at most 120 characters")
        changes["display_name"] = name or None
    if timezone is not None:
        try:
            zone(timezone)
        except ScheduleError as exc:
            raise FieldError("timezone", str(exc)) from None
        changes["timezone"] = timezone
    if not changes:
        return
    cur.execute(f"UPDATE users SET {', '.join(f'{k} = %({k})s' for k in changes)} WHERE id = %(id)s", {**changes, "id": user_id})
    _audit_everywhere(cur, user_id, workspace_id, "user.updated", changes)


def _check_password(cur: psycopg.Cursor, user_id: uuid.UUID, password: str) -> str:
    row = cur.execute("SELECT password_hash, email FROM users WHERE id = %s", (user_id,)).fetchone()
    if not verify_password(row[0], password or ""):
        raise CredentialError("password", "is not your current password")
    return row[1]


def change_password(cur: psycopg.Cursor, user_id: uuid.UUID, workspace_id: uuid.UUID | None, current: str, new: str,
                    keep_session_hash: str) -> None:
    """Other sessions end; this one stays signed in."""
    email = _check_password(cur, user_id, current)
    check_password(new, email)
    cur.execute("UPDATE users SET password_hash = %s WHERE id = %s", (hash_password(new), user_id))
    cur.execute("UPDATE user_sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL AND token_hash <> %s",
                (user_id, keep_session_hash))
    _audit_everywhere(cur, user_id, workspace_id, "user.password_changed", {})


def start_phone_verification(cur: psycopg.Cursor, secret_key: str, user_id: uuid.UUID, raw_phone: str,
                             now: datetime | None = None) -> PhoneCode:
    """A new code for a number (resends limited); the caller texts it."""
    now = now or datetime.now(UTC)
    phone = phones.normalize_phone(raw_phone)
    row = cur.execute("SELECT phone, first_sent_at, last_sent_at, sends FROM phone_verifications WHERE user_id = %s FOR UPDATE",
                      (user_id,)).fetchone()
    sends, first = 1, now
    if row:
        refusal = phones.resend_refusal(now, row[1], row[2], row[3])
        if refusal:
            raise FieldError("phone", refusal)
        if now - row[1] < timedelta(hours=1):
            sends, first = row[3] + 1, row[1]
    code = phones.new_code()
    cur.execute("INSERT INTO phone_verifications (user_id, phone, code_hash, expires_at, attempts, sends, first_sent_at, last_sent_at) "
                "VALUES (%(u)s, %(p)s, %(h)s, %(exp)s, 0, %(n)s, %(first)s, %(now)s) ON CONFLICT (user_id) DO UPDATE SET "
                "phone = EXCLUDED.phone, code_hash = EXCLUDED.code_hash, expires_at = EXCLUDED.expires_at, attempts = 0, "
                "sends = EXCLUDED.sends, first_sent_at = EXCLUDED.first_sent_at, last_sent_at = EXCLUDED.last_sent_at",
                {"u": user_id, "p": phone, "h": phones.code_hash(secret_key, str(user_id), phone, code), "exp": now + phones.CODE_TTL,
                 "n": sends, "first": first, "now": now})
    return PhoneCode(phone, code)


def confirm_phone(cur: psycopg.Cursor, secret_key: str, user_id: uuid.UUID, workspace_id: uuid.UUID | None, code: str,
                  now: datetime | None = None) -> str:
    """The verified number; a wrong code counts a try. The number's SMS pause and opt-out
    end: the person has just shown they receive our texts there."""
    now = now or datetime.now(UTC)
    code = phones.check_code_shape(code)
    row = cur.execute("SELECT phone, code_hash, expires_at, attempts FROM phone_verifications WHERE user_id = %s FOR UPDATE",
                      (user_id,)).fetchone()
    if row is None:
        raise FieldError("code", "no code is waiting; ask for one first")
    phone, digest, expires, attempts = row
    if expires <= now:
        raise FieldError("code", "the code has expired; ask for a new one")
    if attempts >= phones.MAX_TRIES:
        raise FieldError("code", f"{phones.MAX_TRIES} wrong codes; ask for a new one")
    if phones.code_hash(secret_key, str(user_id), phone, code) != digest:
        cur.execute("UPDATE phone_verifications SET attempts = attempts + 1 WHERE user_id = %s", (user_id,))
        left = phones.MAX_TRIES - attempts - 1
        # The failed try must count even though the request fails: the caller commits it.
        raise WrongCode(f"that is not the code we sent; {left} {'try' if left == 1 else 'tries'} left" if left else
                        "that is not the code we sent; ask for a new one")
    cur.execute("DELETE FROM phone_verifications WHERE user_id = %s", (user_id,))
    cur.execute("UPDATE users SET phone = %s, phone_verified_at = now(), sms_opted_out_at = NULL, sms_paused_reason = NULL, "
                "sms_paused_at = NULL WHERE id = %s", (phone, user_id))
    _audit_everywhere(cur, user_id, workspace_id, "user.phone_verified", {"phone": phone})
    return phone


class WrongCode(FieldError, KeptRefusal):
    def __init__(self, detail: str):
        super().__init__("code", detail)


def remove_phone(cur: psycopg.Cursor, user_id: uuid.UUID, workspace_id: uuid.UUID | None) -> None:
    cur.execute("DELETE FROM phone_verifications WHERE user_id = %s", (user_id,))
    cur.execute("UPDATE users SET phone = NULL, phone_verified_at = NULL, sms_paused_reason = NULL, sms_paused_at = NULL WHERE id = %s",
                (user_id,))
    _audit_everywhere(cur, user_id, workspace_id, "user.phone_removed", {})


def start_email_change(cur: psycopg.Cursor, user_id: uuid.UUID, new_email: str, password: str) -> tuple[str, str]:
    """(normalized new address, token for the link sent to it). The address changes only
    when that link is opened: proof the person reads mail there."""
    _check_password(cur, user_id, password)
    email = normalize_email(new_email)
    if cur.execute("SELECT 1 FROM users WHERE lower(email) = lower(%s)", (email,)).fetchone():
        raise CredentialError("email", "already belongs to an account")
    token, digest = new_token()
    cur.execute("UPDATE user_tokens SET used_at = now() WHERE user_id = %s AND purpose = 'change_email' AND used_at IS NULL", (user_id,))
    cur.execute("INSERT INTO user_tokens (token_hash, user_id, purpose, expires_at, new_email) VALUES (%s, %s, 'change_email', now() + %s, %s)",
                (digest, user_id, CHANGE_EMAIL_TTL, email))
    return email, token


def confirm_email_change(cur: psycopg.Cursor, token: str, workspace_id: uuid.UUID | None) -> tuple[uuid.UUID, str, str]:
    """(user, old address, new address); the address's e-mail pause ends. Audited in the
    workspace of the session that opened the link (none when signed out)."""
    row = cur.execute("UPDATE user_tokens t SET used_at = now() FROM users u WHERE t.token_hash = %s AND t.purpose = 'change_email' "
                      "AND t.used_at IS NULL AND t.expires_at > now() AND u.id = t.user_id RETURNING t.user_id, u.email, t.new_email",
                      (token_hash(token or ""),)).fetchone()
    if row is None:
        raise InvalidInput("this link is unknown, already used or expired; ask for a new one from your account settings")
    user_id, old, new = row
    if cur.execute("SELECT 1 FROM users WHERE lower(email) = lower(%s) AND id <> %s", (new, user_id)).fetchone():
        raise CredentialError("email", "already belongs to another account")
    cur.execute("UPDATE users SET email = %s, email_verified_at = now(), email_paused_reason = NULL, email_paused_at = NULL WHERE id = %s",
                (new, user_id))
    audit(cur, workspace_id, user_id, "user.email_changed", "user", user_id, {"from": old, "to": new})
    return user_id, old, new


def delete_account(cur: psycopg.Cursor, user_id: uuid.UUID, password: str) -> None:
    """Refused while the person is the only owner of a workspace that has other members
    (they must hand it over first); workspaces where they are alone go with them."""
    _check_password(cur, user_id, password)
    stuck = cur.execute("SELECT name FROM workspace_owned_alone_with_others(%s)", (user_id,)).fetchall()
    if stuck:
        raise InvalidInput(f"you are the only owner of {', '.join(r[0] for r in stuck)}; make another member an owner first")
    cur.execute("SELECT delete_user_account(%s)", (user_id,))


def sms_keyword(cur: psycopg.Cursor, phone: str, word: str) -> int:
    """STOP or START from a number: opt it out of (or back into) our texts. Counts the accounts changed."""
    if word == "stop":
        cur.execute("UPDATE users SET sms_opted_out_at = now() WHERE phone = %s AND sms_opted_out_at IS NULL", (phone,))
    elif word == "start":
        cur.execute("UPDATE users SET sms_opted_out_at = NULL WHERE phone = %s AND sms_opted_out_at IS NOT NULL", (phone,))
    else:
        return 0
    changed = cur.rowcount
    if changed:
        audit(cur, None, None, f"sms.{'opted_out' if word == 'stop' else 'opted_in'}", "phone", phone, {"accounts": changed})
    return changed
