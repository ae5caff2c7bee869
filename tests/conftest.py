"""Test fixtures over the REAL stack the project starts: PostgreSQL+PostGIS and Redis.

A template database is migrated once per session; tests that write get their own clone
(CREATE DATABASE ... TEMPLATE, about a tenth of a second), so every test starts clean and
ingestion can commit for real.
"""

from __future__ import annotations

import gzip
import os
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from services import localstack
from services.db import migrate
from services.settings import REPO_ROOT, Settings

# Real RRC daily files (public records), committed so the suite runs in any clone.
SAMPLES = REPO_ROOT / "tests" / "fixtures" / "rrc"
SAMPLE_DAYS = ("2026-07-01", "2026-07-03", "2026-07-09", "2026-07-10", "2026-07-27", "2026-07-28",
               "2026-07-31", "2026-08-06")
TEMPLATE = "permitwatch_test_template"


def sample(day: str) -> Path:
    return SAMPLES / f"daf420-{day}.dat.gz"


def sample_lines(day: str) -> list[str]:
    with gzip.open(sample(day), "rt", encoding="latin-1", newline="") as fh:
        return list(fh)


def news(settings: Settings, day: str, **kw):
    """Ingest a sample day as news: a file the RRC just published, which rules hear of.
    (By its date alone a sample is months old, so history: recorded, notifying nobody.)"""
    from services.ingestion.pipeline import ingest

    return ingest(settings, str(sample(day)), history=False, **kw)


def rules_predate_files(conn: psycopg.Connection) -> None:
    """The rules of the connection's database existed before the sample files were
    published: rules never hear of changes published before they were made."""
    url = _with_db(localstack.read_env()["PERMITWATCH_DATABASE_OWNER_URL"], conn.info.dbname)
    with psycopg.connect(url) as owner:
        owner.execute("UPDATE alert_rules SET created_at = '2024-01-01T00:00:00Z'")


def midland_rule(app_conn: psycopg.Connection, name: str, email: str):
    """A workspace whose rule (Midland County, in-app) existed before the sample files were published."""
    from services.alerting import rule_store
    from services.alerting import rules as R
    from services.db.engine import set_tenant
    from services.tenancy import admin

    ws = admin.create_workspace(app_conn, name, email, verified=True)
    search = admin.create_saved_search(app_conn, ws.workspace_id, "Midland", {"counties": ["329"]})
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        rule_store.save(cur, ws.workspace_id, R.RuleSpec(name="m", saved_search_id=search, recipients=[ws.user_id]), actor=ws.user_id)
    rules_predate_files(app_conn)
    return ws


def _with_db(url: str, db: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + db


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    return localstack.up()


@pytest.fixture(scope="session")
def admin_url(stack_env) -> str:
    return _with_db(stack_env["PERMITWATCH_ADMIN_DATABASE_URL"], "postgres")


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def template_db(stack_env, admin_url) -> str:
    _drop(admin_url, TEMPLATE)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER permitwatch_owner").format(sql.Identifier(TEMPLATE)))
    localstack.prepare_database(_with_db(stack_env["PERMITWATCH_ADMIN_DATABASE_URL"], TEMPLATE))
    migrate.upgrade(_with_db(stack_env["PERMITWATCH_DATABASE_OWNER_URL"], TEMPLATE))
    from services.db.engine import engine_for
    engine_for.cache_clear()
    yield TEMPLATE
    _drop(admin_url, TEMPLATE)


def make_settings(stack_env: dict[str, str], db: str, tmp_path: Path, **overrides) -> Settings:
    return Settings(
        _env_file=None,
        database_url=_with_db(stack_env["PERMITWATCH_DATABASE_URL"], db),
        database_owner_url=_with_db(stack_env["PERMITWATCH_DATABASE_OWNER_URL"], db),
        worker_database_url=_with_db(stack_env["PERMITWATCH_WORKER_DATABASE_URL"], db),
        admin_database_url=_with_db(stack_env["PERMITWATCH_ADMIN_DATABASE_URL"], db),
        redis_url=stack_env["PERMITWATCH_REDIS_URL"].rsplit("/", 1)[0] + "/15",
        data_dir=tmp_path / "data",
        sms_folder=tmp_path / "sms",
        public_base_url="https://permitwatch.example",
        **overrides,
    )


@pytest.fixture
def fresh_db(stack_env, admin_url, template_db):
    """A database cloned from the migrated template, dropped afterwards."""
    name = f"permitwatch_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER permitwatch_owner").format(
            sql.Identifier(name), sql.Identifier(template_db)))
    yield name
    _drop(admin_url, name)


@pytest.fixture
def settings(stack_env, fresh_db, tmp_path) -> Settings:
    return make_settings(stack_env, fresh_db, tmp_path)


@pytest.fixture
def owner_conn(settings):
    with psycopg.connect(settings.database_owner_url) as conn:
        yield conn


@pytest.fixture
def worker_conn(settings):
    with psycopg.connect(settings.worker_database_url) as conn:
        yield conn


@pytest.fixture
def app_conn(settings):
    with psycopg.connect(settings.database_url) as conn:
        yield conn


def env_for(settings: Settings) -> dict[str, str]:
    """Environment for a subprocess (CLI, worker) that must use this test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERMITWATCH_")}
    env.update({
        "PERMITWATCH_DATABASE_URL": settings.database_url,
        "PERMITWATCH_DATABASE_OWNER_URL": settings.database_owner_url,
        "PERMITWATCH_WORKER_DATABASE_URL": settings.worker_database_url,
        "PERMITWATCH_SMS_FOLDER": str(settings.sms_folder),
        "PERMITWATCH_ADMIN_DATABASE_URL": settings.admin_database_url or "",
        "PERMITWATCH_REDIS_URL": settings.redis_url,
        "PERMITWATCH_DATA_DIR": str(settings.data_dir),
        "PERMITWATCH_SECRET_KEY": settings.secret_key,  # a report's mail carries a link the worker signs
    })
    return env


@pytest.fixture
def fake():
    """Local servers speaking Twilio's and SendGrid's APIs (tests/fakes.py)."""
    from tests.fakes import FakeProviders

    f = FakeProviders()
    f.url = f.start()
    yield f
    f.stop()


@pytest.fixture
def webhook_ca(tmp_path):
    """(a test certificate authority, the path of its certificate) for HTTPS webhook receivers."""
    import trustme

    authority = trustme.CA()
    path = tmp_path / "webhook-ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) collecting messages."""
    from tests.fakes import MailCatcher

    c = MailCatcher()
    c.start()
    yield c
    c.stop()


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API leaves an event loop set on the main thread,
    and pytest-asyncio (the operator tests) cannot start its own loop after that."""
    items.sort(key=lambda item: "tests/browser/" in str(item.path).replace("\\", "/"))


@pytest.fixture
def stripe_standin():
    """The project's local Stripe stand-in, holding its webhooks until a test sends them
    (so a test chooses their order, and sends them again)."""
    from services.billing.standin import StripeStandIn

    s = StripeStandIn(api_key="sk_test_standin_" + uuid.uuid4().hex[:8], webhook_secret="whsec_" + uuid.uuid4().hex, webhook_url=None).start()
    s.hold = True
    yield s
    s.stop()


def stripe_settings(standin) -> dict:
    return {"stripe_secret_key": standin.api_key, "stripe_api_base": standin.url, "stripe_webhook_secret": standin.webhook_secret,
            "stripe_timeout_seconds": 5.0}
