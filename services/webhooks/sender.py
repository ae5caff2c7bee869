"""Sending one webhook delivery: resolve the endpoint's name, refuse it when any address it
resolves to is internal, then POST to exactly the address checked (the name still goes in
the Host header and TLS SNI, and the certificate must be for it). Redirects are not followed:
a 3xx is a failed attempt like any other non-2xx answer."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass

import httpx

from services.settings import Settings
from services.webhooks import addresses
from services.webhooks.addresses import Address, Target

USER_AGENT = "permitwatch-webhooks/1"
MOST_ANSWER_READ = 512  # of a receiver's answer, kept for the delivery log


class Refused(Exception):
    """The endpoint points inside our network (or nowhere): never sent to."""


class Unreachable(Exception):
    """The name did not resolve now; it may later."""


@dataclass(frozen=True)
class Attempt:
    address: str | None
    status_code: int | None
    duration_ms: int
    error: str | None  # None: the receiver took it (2xx)


def destination(target: Target, allowed: tuple = ()) -> list[Address]:
    """The addresses to connect to, checked: every address the name has must be public."""
    lit = addresses.literal(target.host)
    if lit is not None:
        found = [lit]
    else:
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise Unreachable(f"{target.host} does not resolve: {exc}") from None
        found = [addresses.literal(str(i[4][0]).split("%")[0]) for i in infos]
    for addr in found:
        why = addresses.refusal(addr, allowed)
        if why:
            raise Refused(f"{target.host} resolves to {why}; webhooks go to public addresses only")
    if not found:
        raise Unreachable(f"{target.host} has no address")
    return list(dict.fromkeys(found))


class Sender:
    def __init__(self, settings: Settings):
        context = ssl.create_default_context()
        if settings.webhook_ca_file:
            context.load_verify_locations(cafile=settings.webhook_ca_file)
        self.allowed = addresses.networks(settings.webhook_allow_networks)
        self.client = httpx.Client(verify=context, follow_redirects=False, trust_env=False,
                                   timeout=httpx.Timeout(settings.webhook_timeout_seconds))

    def close(self) -> None:
        self.client.close()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        target = addresses.parse(url)
        response = None
        for addr in destination(target, self.allowed):  # Refused / Unreachable go to the caller
            host_in_url = f"[{addr}]" if addr.version == 6 else str(addr)
            request = self.client.build_request(
                "POST", f"https://{host_in_url}:{target.port}{target.path}", content=body,
                headers={**headers, "Host": target.host if target.port == 443 else f"{target.host}:{target.port}",
                         "Content-Type": "application/json", "User-Agent": USER_AGENT},
                extensions={"sni_hostname": target.host})
            try:
                response = self.client.send(request, stream=True)
                break
            except httpx.ConnectError as exc:  # the name's next address may answer
                failed = f"{type(exc).__name__}: {exc}"[:500]
            except httpx.HTTPError as exc:
                return Attempt(str(addr), None, took(), f"{type(exc).__name__}: {exc}"[:500])
        if response is None:
            return Attempt(str(addr), None, took(), failed)
        try:
            answer = b""
            for chunk in response.iter_bytes():
                answer += chunk
                if len(answer) >= MOST_ANSWER_READ:
                    break
        except httpx.HTTPError:
            answer = b""
        finally:
            response.close()
        code = response.status_code
        if 200 <= code < 300:
            return Attempt(str(addr), code, took(), None)
        text = answer[:MOST_ANSWER_READ].decode("utf-8", "replace").strip()
        if 300 <= code < 400:
            error = f"HTTP {code}: redirects are not followed (Location: {response.headers.get('location', 'none')[:200]})"
        else:
            error = f"HTTP {code}" + (f": {text[:300]}" if text else "")
        return Attempt(str(addr), code, took(), error)
