"""PURE credential rules: password policy, argon2 hashing, and random tokens of which only a
SHA-256 is ever stored (sessions, e-mail links, invitations)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.errors import FieldError

# argon2id with the library's RFC 9106 "low memory" profile: about 50 ms here.
_HASHER = PasswordHasher()
MIN_PASSWORD = 10
# Verified against when the e-mail is unknown, so a login takes as long either way.
_DUMMY = _HASHER.hash("not a password anyone has")


class CredentialError(FieldError):
    """Account details that cannot be accepted."""


def check_password(password: str, email: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise CredentialError("password", f"must be at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise CredentialError("password", "must be at most 256 characters")
    if password.strip().lower() in {email.lower(), email.split("@")[0].lower()}:
        raise CredentialError("password", "must not be your e-mail address")
    if len(set(password)) < 4:
        raise CredentialError("password", "is too repetitive")


def normalize_email(email: str) -> str:
    email = (email or "").strip()
    local, _, domain = email.rpartition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise CredentialError("email", "is not an e-mail address")
    return f"{local}@{domain.lower()}"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return False


def new_token() -> tuple[str, str]:
    """(the secret for the user, the hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret_key: str, session_token: str) -> str:
    """Bound to one session: a token lifted from another session, or made up, fails."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
