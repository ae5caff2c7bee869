"""Alembic, configured in code so `permitwatch db ...` works from any directory."""

from __future__ import annotations

from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(owner_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["owner_url"] = owner_url
    return cfg


def upgrade(owner_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(owner_url), revision)


def downgrade(owner_url: str, revision: str) -> None:
    # Statistics first: an autovacuum ANALYZE started during the downgrade can wait on the
    # downgrade's catalog changes while holding a lock its DROP TABLE needs (a deadlock
    # PostgreSQL then resolves by failing the downgrade). Fresh statistics leave it nothing to do.
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    command.downgrade(alembic_config(owner_url), revision)


def head() -> str:
    """The newest revision the code has."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def current(owner_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from services.db.engine import engine_for

    with engine_for(owner_url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
