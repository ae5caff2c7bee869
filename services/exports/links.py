"""PURE: signed, expiring download links for export files. The signature binds the job,
its workspace and the expiry time, so a link cannot be moved to another file or
workspace, or stretched; comparing is constant-time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from services.errors import DomainError


class LinkRefused(DomainError):
    pass


def _mac(secret: str, job_id: uuid.UUID, workspace_id: uuid.UUID, expires: int) -> str:
    msg = f"export-file:{job_id}:{workspace_id}:{expires}".encode()
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode().rstrip("=")


def sign(secret: str, job_id: uuid.UUID, workspace_id: uuid.UUID, expires: int) -> dict[str, str]:
    """The query parameters of the link: workspace, expiry (Unix seconds), signature."""
    if not secret:
        raise ValueError("exports need PERMITWATCH_SECRET_KEY to sign links")
    return {"w": str(workspace_id), "e": str(expires), "s": _mac(secret, job_id, workspace_id, expires)}


def verify(secret: str, job_id: uuid.UUID, workspace: str, expires: str, signature: str, now: float) -> uuid.UUID:
    """The workspace the link is for, or LinkRefused saying why."""
    try:
        ws, exp = uuid.UUID(workspace), int(expires)
    except ValueError:
        raise LinkRefused("this download link is damaged; copy it again from the Exports screen") from None
    if not secret or not hmac.compare_digest(_mac(secret, job_id, ws, exp), signature):
        raise LinkRefused("this download link is not valid; copy it again from the Exports screen")
    if exp < now:
        raise LinkRefused("this download link has expired; export again from the Exports screen")
    return ws
