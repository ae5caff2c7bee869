"""The web app in-process (FastAPI TestClient) over the test's own PostGIS database and
Redis, with account e-mails going to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from tests.conftest import make_settings

PASSWORD = "pump jack sunrise 42"


@pytest.fixture
def web_settings(stack_env, fresh_db, tmp_path, smtp):
    return make_settings(stack_env, fresh_db, tmp_path, secret_key="test-secret-" + fresh_db, basemap_raster_url="",
                         email_provider="smtp", smtp_port=smtp.port, login_attempts_per_15min=5)


@pytest.fixture
def app(web_settings):
    from services.queueing import redis_client

    redis_client(web_settings).flushdb()  # db 15: tests only
    application = create_app(web_settings)
    with TestClient(application):  # runs the lifespan: pool and Redis on app.state
        yield application


class Browser:
    """One user's cookie jar, sending the CSRF header as the web page does."""

    def __init__(self, app, address: str = "testclient"):
        self.http = TestClient(app, client=(address, 50000))

    def csrf(self) -> dict:
        if "pw_csrf" not in self.http.cookies:
            self.http.get("/auth/me")
        return {"X-CSRF-Token": self.http.cookies["pw_csrf"]}

    def get(self, url, **kw):
        return self.http.get(url, **kw)

    def send(self, method, url, **kw):
        return self.http.request(method, url, headers={**self.csrf(), **kw.pop("headers", {})}, **kw)

    def post(self, url, **kw):
        return self.send("POST", url, **kw)

    def signup(self, email: str, **kw) -> dict:
        r = self.post("/auth/signup", json={"email": email, "password": PASSWORD, **kw})
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture
def visitor(app):
    """A new browser; `address` is the client address the app sees (in-process, no network)."""
    return lambda address="testclient": Browser(app, address)


def link_token(smtp, to: str, kind: str) -> str:
    """The token in the latest e-mail of this kind (#/verify, #/reset, #/invite) sent to `to`."""
    for _, rcpts, msg in reversed(smtp.messages):
        if to in rcpts:
            m = re.search(rf"#/{kind}\?token=([\w-]+)", msg.get_body(("plain",)).get_content())
            if m:
                return m.group(1)
    raise AssertionError(f"no {kind} e-mail to {to} among {[(r, m['Subject']) for _, r, m in smtp.messages]}")


def search_all(user, **params) -> list[dict]:
    """Every permit /v1/permits gives for these parameters, page after page."""
    items, cursor = [], None
    while True:
        page = user.get("/v1/permits", params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
