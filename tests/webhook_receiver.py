"""A webhook receiver for tests: HTTPS on loopback with a certificate from a test CA (which
the sender is told to trust), recording every request and answering from a script."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme

LOOPBACK = "127.0.0.0/8,::1/128"  # PERMITWATCH_WEBHOOK_ALLOW_NETWORKS for tests


class Receiver:
    """An HTTPS endpoint that records what it is sent and answers from a script (200 after it)."""

    def __init__(self, ca: trustme.CA):
        self.requests: list[tuple[dict, bytes]] = []
        self.answers: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 -- http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = outer.answers.pop(0) if outer.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "https://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("localhost").configure_cert(context)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}/hooks/permitwatch?src=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_type(self, kind: str) -> list[tuple[dict, bytes]]:
        return [(h, b) for h, b in self.requests if h["permitwatch-event-type"] == kind]
