"""Engines and units of work. Engines are made lazily, once per process (after fork for
workers); nothing connects at import time."""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID

from sqlalchemy import Engine, create_engine


def sqlalchemy_url(url: str) -> str:
    """Settings hold libpq URLs; SQLAlchemy needs the driver named."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=5, max_overflow=10)


def set_tenant(cur, workspace_id: UUID | str | None, user_id: UUID | str | None = None, session_ref: str | None = None) -> None:
    """Transaction-local RLS context on a psycopg cursor: a pooled connection never carries
    it into its next transaction. The session (its token's hash) goes on audit entries."""
    cur.execute("SELECT set_config('app.workspace_id', %s, true), set_config('app.user_id', %s, true), "
                "set_config('app.session_ref', %s, true)",
                (str(workspace_id) if workspace_id else "", str(user_id) if user_id else "", session_ref or ""))
