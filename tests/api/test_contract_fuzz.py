"""The OpenAPI document is the contract, and a property-based fuzz (schemathesis) holds the
running app to it: every operation, driven by a signed-in owner's session with its CSRF
token over real HTTP (uvicorn, keep-alive), must never answer a server error, must answer
only status codes and bodies its document declares, and every 4xx must be problem+json."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import psycopg
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from psycopg import sql
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from services.api.app import MAX_REQUEST_HEAD, create_app, openapi_document
from services.billing.standin import StripeStandIn
from services.billing.stripe_api import client, sync_catalog
from services.ingestion.pipeline import ingest
from tests.conftest import make_settings, sample, stripe_settings

PASSWORD = "pump jack sunrise 42"
# webhooks (and billing, through the Stripe stand-in) are configured, so the fuzz meets their
# signature checks rather than "not configured"
FUZZ_SENDGRID_KEY = ("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==")
schema = schemathesis.openapi.from_dict(openapi_document())
# Both what the document allows and what it forbids: hostile input must be a 4xx problem, not a 500.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(stack_env, admin_url, template_db, tmp_path_factory):
    """The app on a real port over its own database with a day of RRC permits; an owner
    signed in with an area, a saved search and a rule, so ids in the fuzz can exist."""
    name = f"permitwatch_fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER permitwatch_owner").format(sql.Identifier(name), sql.Identifier(template_db)))
    stand_in = StripeStandIn(api_key="sk_test_fuzz", webhook_secret="whsec_fuzz", webhook_url=None).start()
    stand_in.hold = True
    s = make_settings(stack_env, name, tmp_path_factory.mktemp("fuzz"), secret_key="fuzz-secret", basemap_raster_url="",
                      email_provider="none", sms_provider="none", login_attempts_per_15min=1000,
                      twilio_auth_token="fuzz-twilio-token", sendgrid_webhook_public_key=FUZZ_SENDGRID_KEY, **stripe_settings(stand_in))
    sync_catalog(client(s))
    ingest(s, str(sample("2026-07-28")))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(s), host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           h11_max_incomplete_event_size=MAX_REQUEST_HEAD))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    http = requests.Session()
    http.get(f"{base}/auth/me")
    r = http.post(f"{base}/auth/signup", json={"email": "fuzz@example.com", "password": PASSWORD, "workspace_name": "Fuzz"},
                  headers={"X-CSRF-Token": http.cookies["pw_csrf"]})
    assert r.status_code == 201, r.text
    yield base, http
    server.should_exit = True
    thread.join(10)
    stand_in.stop()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@schemathesis.check
def problem_json_for_client_errors(ctx, response, case):
    if 400 <= response.status_code < 600:
        kind = (response.headers.get("content-type") or [""])[0]
        assert kind.startswith("application/problem+json"), f"{case.method} {case.path} answered {response.status_code} as {kind}"


# Signing out or switching users would only test the signed-out path, which the other
# operations' 401s cover; the session stays signed in for the rest.
SESSION_ENDERS = {("POST", "/auth/logout"), ("POST", "/auth/signup"), ("POST", "/auth/password-reset/confirm")}


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_its_contract(case, live):
    base, http = live
    if (case.method.upper(), case.path) in SESSION_ENDERS:
        http = requests.Session()
        http.get(f"{base}/auth/me")
    case.call_and_validate(base_url=base, session=http, headers={"X-CSRF-Token": http.cookies.get("pw_csrf", "")},
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
                                   problem_json_for_client_errors])
