"""Local servers that speak the providers' APIs, for the official SDKs to talk to.

`FakeProviders` answers Twilio's Messages API (POST /2010-04-01/Accounts/{sid}/Messages.json,
Basic auth, form body, 201 JSON) and SendGrid's v3 mail send (POST /v3/mail/send, Bearer
auth, JSON body, 202 with X-Message-Id). It records every request and can be told to fail
(a status code, or a hang) for the next N requests of a route. `MailCatcher` is a real SMTP
server (aiosmtpd)."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


@dataclass
class Fault:
    status: int | str  # an HTTP status, or "hang"
    times: int
    retry_after: int | None = None


@dataclass
class Recorded:
    route: str
    path: str
    headers: dict
    body: bytes
    status: int

    def form(self) -> dict:
        return dict(urllib.parse.parse_qsl(self.body.decode()))

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class FakeProviders:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "twilio-test-token"
    sendgrid_key: str = "SG.test-key"
    requests: list[Recorded] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    def fail(self, route: str, status: int | str, times: int = 1, retry_after: int | None = None) -> None:
        with self.lock:
            self.faults.setdefault(route, []).append(Fault(status, times, retry_after))

    def delivered(self, route: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.route == route and r.status in (201, 202)]

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                route = "twilio" if self.path.startswith("/2010-04-01/") else "sendgrid" if self.path == "/v3/mail/send" else "?"
                status, payload, headers = fake._answer(route, self.path, dict(self.headers), body)
                if status == "hang":
                    fake.release.wait(30)
                    return
                with fake.lock:
                    fake.requests.append(Recorded(route, self.path, dict(self.headers), body, status))
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, route: str, path: str, headers: dict, body: bytes):
        with self.lock:
            queue = self.faults.get(route) or []
            if queue:
                fault = queue[0]
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
                if fault.status == "hang":
                    return "hang", None, {}
                extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                if route == "twilio":
                    return fault.status, {"code": 20429 if fault.status == 429 else 20500, "message": "fake fault",
                                          "more_info": "https://www.twilio.com/docs/errors", "status": fault.status}, extra
                return fault.status, {"errors": [{"field": None, "message": "fake fault"}]}, extra
        if route == "twilio":
            expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
            if headers.get("Authorization") != expected or f"/Accounts/{self.account_sid}/Messages.json" not in path:
                return 401, {"code": 20003, "message": "Authenticate", "status": 401}, {}
            form = dict(urllib.parse.parse_qsl(body.decode()))
            sid = "SM" + uuid.uuid4().hex
            return 201, {"sid": sid, "status": "queued", "account_sid": self.account_sid, "to": form.get("To"),
                         "from": form.get("From"), "body": form.get("Body"), "num_segments": "1",
                         "direction": "outbound-api", "uri": f"{path[:-5]}/{sid}.json"}, {}
        if route == "sendgrid":
            if headers.get("Authorization") != f"Bearer {self.sendgrid_key}":
                return 401, {"errors": [{"message": "authorization required"}]}, {}
            return 202, None, {"X-Message-Id": "sg-" + uuid.uuid4().hex[:16]}
        return 404, {"error": "no such route"}, {}


class _Collect:
    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self.cond:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  email.message_from_bytes(envelope.content, policy=email.policy.default)))
            self.cond.notify_all()
        return "250 OK"


class MailCatcher(Controller):
    """aiosmtpd on a free port (the stock port=0 readiness probe would dial port 0)."""

    def __init__(self):
        super().__init__(_Collect(), hostname="127.0.0.1", port=0, ready_timeout=10)

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    @property
    def messages(self):
        with self.handler.cond:
            return list(self.handler.messages)
