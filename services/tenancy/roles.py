"""PURE: what each workspace role may do. Owners and admins manage members and
invitations; only an owner can make or remove another owner, and a workspace always
keeps at least one owner."""

from __future__ import annotations

from services.errors import DomainError, InvalidInput

ROLES = ("owner", "admin", "member")
MANAGE_MEMBERS = {"owner", "admin"}


class Forbidden(DomainError, PermissionError):
    pass


def require(role: str | None, allowed: set[str], action: str) -> None:
    if role not in allowed:
        raise Forbidden(f"{action} needs the role {' or '.join(sorted(allowed))}; you are {role or 'not a member'}")


def check_role_change(actor_role: str, target_role: str, new_role: str | None, owners: int) -> None:
    """new_role None means removal."""
    require(actor_role, MANAGE_MEMBERS, "changing members")
    if new_role is not None and new_role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")
    if "owner" in (target_role, new_role) and actor_role != "owner":
        raise Forbidden("only an owner can add or remove an owner")
    if target_role == "owner" and new_role != "owner" and owners <= 1:
        raise Forbidden("a workspace must keep at least one owner")
