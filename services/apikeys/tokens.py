"""PURE: the Pro API's keys. A key is `pwk_` + 30 random base62 characters + a 6-character
base62 CRC32 of them (40 in all): leak scanners can recognise the prefix and check the sum
without calling us, and a mistyped or made-up key is refused before any lookup. Only the
key's SHA-256 is stored (a key carries 178 random bits, so a fast hash is enough); its first
12 characters are kept to show which key is which. Also: the scopes a key can hold, and its
IP allow-list."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import zlib

from services.errors import FieldError

PREFIX = "pwk_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY, _SUM = 30, 6
LENGTH = len(PREFIX) + _BODY + _SUM
SHOWN = 12  # characters kept to name a key: the prefix and 8 of its random part
SCOPES = {
    "permits:read": "search permits, operators and changes, and read tiles",
    "alerts:read": "read alert rules and the permits they would have matched",
    "alerts:write": "create and change alert rules",
    "exports:write": "start and follow exports and activity reports",
    "webhooks:write": "register and change webhook endpoints",
}
MOST_NETWORKS = 20


def _base62(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 62)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _SUM)


def make() -> tuple[str, str, str]:
    """(the key, shown once; its display prefix; its stored digest)."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY))
    key = PREFIX + body + _checksum(body)
    return key, key[:SHOWN], digest(key)


def well_formed(key: str) -> bool:
    """The key's shape and checksum are right (it may still be unknown, revoked or expired)."""
    if len(key) != LENGTH or not key.startswith(PREFIX):
        return False
    body, check = key[len(PREFIX):-_SUM], key[-_SUM:]
    return all(ch in _ALPHABET for ch in body) and secrets.compare_digest(_checksum(body), check)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def checked_scopes(scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise FieldError("scopes", f"unknown scope {unknown[0]!r}; scopes are {', '.join(SCOPES)}")
    if not scopes:
        raise FieldError("scopes", "give a key at least one scope")
    return sorted(set(scopes))


def checked_networks(networks: list[str]) -> list[str]:
    """An IP allow-list as CIDR networks (a bare address is its own /32 or /128)."""
    if len(networks) > MOST_NETWORKS:
        raise FieldError("allowed_ips", f"at most {MOST_NETWORKS} networks")
    out = []
    for n in networks:
        try:
            out.append(str(ipaddress.ip_network(n.strip(), strict=False)))
        except ValueError:
            raise FieldError("allowed_ips", f"{n!r} is not an IP address or network (such as 203.0.113.7 or 203.0.113.0/24)") from None
    return out


def as_ip(ip: str) -> str | None:
    """The address, if it is one (a proxy or a test client may name itself otherwise)."""
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def ip_allowed(ip: str, networks: list[str] | None) -> bool:
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n) for n in networks)
