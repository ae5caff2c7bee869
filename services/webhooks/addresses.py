"""PURE: where a webhook may go. HTTPS URLs only, no credentials in them, and never to an
address inside our own network: private, loopback, link-local (cloud metadata), shared,
multicast or reserved addresses are refused, whether written in the URL or what its name
resolves to (checked when the endpoint is saved and again before every delivery, which then
connects to the very address it checked, so a name that changes its answer in between
cannot steer a delivery inside). Operators may open networks for their own receivers
(`PERMITWATCH_WEBHOOK_ALLOW_NETWORKS`: tests, an on-premises hub)."""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass

from services.errors import FieldError

MOST_URL = 2000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str  # with its query


def parse(url: str) -> Target:
    """The URL's parts, or a FieldError saying what is wrong with it."""
    if len(url) > MOST_URL:
        raise FieldError("url", f"a webhook URL is at most {MOST_URL} characters")
    try:
        p = urllib.parse.urlsplit(url.strip())
        port = p.port or 443
    except ValueError as exc:
        raise FieldError("url", f"this is not a URL: {exc}") from None
    if p.scheme != "https":
        raise FieldError("url", "webhooks are sent over HTTPS only: the URL must start with https://")
    if not p.hostname:
        raise FieldError("url", "the URL has no host name")
    if p.username or p.password:
        raise FieldError("url", "put no user name or password in the URL; check our signature instead")
    if p.fragment:
        raise FieldError("url", "a webhook URL has no #fragment")
    return Target(p.hostname.rstrip(".").lower(), port, (p.path or "/") + (f"?{p.query}" if p.query else ""))


def networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip())


def refusal(addr: Address, allowed: tuple = ()) -> str | None:
    """Why a delivery may not go to ADDR, or None when it may."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if any(addr in n for n in allowed):
        return None
    for test, what in ((addr.is_unspecified, "an unspecified address"), (addr.is_loopback, "a loopback address"),
                       (addr.is_link_local, "a link-local address"), (addr.is_multicast, "a multicast address"),
                       (addr.is_private, "a private address"), (addr.is_reserved, "a reserved address"),
                       (not addr.is_global, "not a public address")):
        if test:
            return f"{addr} is {what}"
    return None


def literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
