"""The app's one middleware, in plain ASGI: what every request passes through on its way in
and out (a body past the limit refused, a bug turned into a 500 problem with a trace id,
security headers, rate-limit and deprecation headers, the latency metric, and an API key's
error count). One plain layer instead of a stack of `@app.middleware` ones, each of which
cost a task and a copy of the response per request."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api import problems

log = logging.getLogger("permitwatch.api")


class Edge:
    def __init__(self, app: ASGIApp, *, security: dict[str, str], extra_headers: Callable[[Scope], dict[str, str]],
                 done: Callable[[Scope, int, float], None]):
        self.app, self.security, self.extra_headers, self.done = app, security, extra_headers, done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, started_response = 500, False

        async def send_out(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                headers = MutableHeaders(scope=message)
                for k, v in self.security.items():
                    if k not in headers:
                        headers[k] = v
                for k, v in self.extra_headers(scope).items():
                    headers[k] = v
            await send(message)

        try:
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is not None and (not length.isdigit() or int(length) > problems.MAX_BODY):
                # refused before any route reads it (the largest legitimate body is an area import)
                await problems.response(Request(scope), 413, "too-large", "Request too large",
                                        f"a request body is at most {problems.MAX_BODY // 1024 // 1024} MB")(scope, receive, send_out)
                return
            await self.app(scope, receive, send_out)
        except Exception:
            if started_response:
                raise
            # A bug: a 500 problem whose trace id is in the log beside the traceback, and never
            # the exception's own message (it may carry internals).
            trace = uuid.uuid4().hex
            log.exception("unhandled error trace_id=%s %s %s", trace, scope["method"], scope["path"])
            await problems.response(Request(scope), 500, "internal-error", "Internal error",
                                    f"something went wrong on our side; quote trace id {trace} if you report it",
                                    {"X-Trace-Id": trace}, trace_id=trace)(scope, receive, send_out)
        finally:
            self.done(scope, status, time.perf_counter() - started)
