"""`permitwatch db ...`: schema migrations (Alembic), run as the owner role."""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli.common import console, out
from services.db import migrate
from services.settings import get_settings

app = typer.Typer(help="Database schema migrations (Alembic), run as the owner role.", no_args_is_help=True)


def migrate_to(revision: str) -> None:
    url = get_settings().database_owner_url
    migrate.upgrade(url, revision)
    console.print(f"schema at {migrate.current(url)}")


@app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="target revision")] = "head") -> None:
    """Migrate the schema up (default: to the newest revision)."""
    migrate_to(revision)


@app.command("downgrade")
def downgrade(revision: Annotated[str, typer.Argument(help="target revision, e.g. -1 or base")]) -> None:
    """Migrate the schema down. `base` removes every table (and its data)."""
    url = get_settings().database_owner_url
    migrate.downgrade(url, revision)
    console.print(f"schema at {migrate.current(url) or 'base'}")


@app.command("current")
def current() -> None:
    """Print the current schema revision."""
    out.print(migrate.current(get_settings().database_owner_url) or "base")
