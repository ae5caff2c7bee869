"""`permitwatch stack ...`: the project's own PostgreSQL+PostGIS and Redis under .local/."""

from __future__ import annotations

import typer

from services import localstack
from services.cli.common import console, fail, out
from services.settings import get_settings

app = typer.Typer(help="The local stack: project-owned PostgreSQL+PostGIS and Redis under .local/.", no_args_is_help=True)


def bring_up() -> None:
    try:
        localstack.up()
    except localstack.StackError as exc:
        fail(str(exc))
    get_settings.cache_clear()
    s = get_settings()
    console.print(f"[green]stack up[/]: postgresql 127.0.0.1:{s.stack_pg_port}, redis 127.0.0.1:{s.stack_redis_port} "
                  "(credentials in .local/stack.env)")


@app.command("up")
def up() -> None:
    """Start PostgreSQL (with PostGIS) and Redis as project processes; create roles and the database."""
    bring_up()


@app.command("down")
def down() -> None:
    """Stop the project's PostgreSQL and Redis (data stays in .local/)."""
    console.print(f"stopped: {', '.join(localstack.down()) or 'nothing was running'}")


@app.command("status")
def status() -> None:
    """Show whether the project's PostgreSQL and Redis and the app's processes are running."""
    for name, running in {**localstack.status(), **localstack.daemons()}.items():
        out.print(f"{name}: {'running' if running else 'stopped'}")
