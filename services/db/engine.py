"""Engines and units of work. Engines are made lazily, once per process (after fork for
workers); nothing connects at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from uuid import UUID

from sqlalchemy import Connection, Engine, create_engine, text


def sqlalchemy_url(url: str) -> str:
    """Settings hold libpq URLs; SQLAlchemy needs the driver named."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=5, max_overflow=10)


def set_tenant(conn: Connection, workspace_id: UUID | str | None, user_id: UUID | str | None = None) -> None:
    """Transaction-local RLS context: a pooled connection never carries it further."""
    conn.execute(
        text("SELECT set_config('app.workspace_id', :w, true), set_config('app.user_id', :u, true)"),
        {"w": str(workspace_id) if workspace_id else "", "u": str(user_id) if user_id else ""},
    )


@contextmanager
def unit_of_work(engine: Engine, workspace_id: UUID | str | None = None,
                 user_id: UUID | str | None = None) -> Iterator[Connection]:
    """One transaction: commits on success, rolls back on any error."""
    with engine.begin() as conn:
        set_tenant(conn, workspace_id, user_id)
        yield conn
