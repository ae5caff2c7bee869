"""Real headless Chromium (Debian's `chromium`, driven by Playwright with its executable
path) against the app served by uvicorn on a free loopback port, over the test's own
PostGIS database. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

from services.api.app import create_app
from services.settings import REPO_ROOT
from tests.conftest import make_settings
from tests.webhook_receiver import LOOPBACK

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# SwiftShader renders on the CPU, and this machine is shared: give the UI time.
expect.set_options(timeout=20_000)
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
# SwiftShader gives MapLibre its WebGL2 context on a machine with no GPU; no background
# networking, since this machine's network refuses it.
ARGS = ["--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (scripts/test.sh installs Debian's chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "timeout": 30_000, "args": ARGS}


def _serve(settings, port: int = 0):
    from services.queueing import redis_client

    redis_client(settings).flushdb()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def live(stack_env, fresh_db, tmp_path, smtp, webhook_ca):
    """(base URL, settings) of a running server; its e-mails go to the test's SMTP server
    and its texts to settings.sms_folder."""
    settings = make_settings(stack_env, fresh_db, tmp_path, secret_key="browser-" + fresh_db, basemap_raster_url="",
                             email_provider="smtp", smtp_port=smtp.port, webhook_allow_networks=LOOPBACK,
                             webhook_ca_file=str(webhook_ca[1]))
    for base in _serve(settings):
        yield base, settings


@pytest.fixture
def live_billed(stack_env, fresh_db, tmp_path, smtp, stripe_standin):
    """(base URL, settings, stand-in) of a running server billed through the Stripe stand-in,
    which sends its signed webhooks to the server as Stripe does (not held)."""
    import socket

    from services.billing.stripe_api import client, sync_catalog
    from tests.conftest import stripe_settings

    with socket.socket() as probe:  # the public URL must be known before the server starts
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(stack_env, fresh_db, tmp_path, secret_key="browser-" + fresh_db, basemap_raster_url="",
                             email_provider="smtp", smtp_port=smtp.port, **stripe_settings(stripe_standin))
    settings = settings.model_copy(update={"public_base_url": base})
    sync_catalog(client(settings))
    stripe_standin.webhook_url, stripe_standin.hold = f"{base}/webhooks/stripe", False
    for url in _serve(settings, port):
        yield url, settings, stripe_standin


class Watch:
    """Console errors, page errors, failed requests and server errors of one page: any of
    them fails the test, unless the test said it expects that one (a refused upload)."""

    def __init__(self, page):
        self.problems: list[str] = []
        self.expected: list[re.Pattern] = []
        page.on("console", lambda m: m.type == "error" and self._add(f"console: {m.text}"))
        page.on("pageerror", lambda e: self._add(f"page error: {e}"))
        # a map tile the map itself cancelled (the view moved on) is not a failure
        page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "") and self._add(f"request failed: {r.method} {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 500 and self._add(f"server error: {r.status} {r.url}"))

    def _add(self, text: str) -> None:
        if not any(p.search(text) for p in self.expected):
            self.problems.append(text)

    def expect(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))


@pytest.fixture
def watch(page):
    w = Watch(page)
    yield w
    assert w.problems == [], w.problems


@pytest.fixture
def shots(request):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name.replace('[', '-').rstrip(']')}-{name}.png"
        page.screenshot(path=str(path))
        return path
    return shot
