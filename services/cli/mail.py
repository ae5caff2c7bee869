"""`permitwatch mail ...`: the local stack's SMTP catcher."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.settings import LOCAL_DIR, get_settings

app = typer.Typer(help="The local stack's mail catcher.", no_args_is_help=True)


@app.command("catch")
def catch(folder: Annotated[Path, typer.Option(help="where .eml files go")] = LOCAL_DIR / "mail",
          port: Annotated[int | None, typer.Option(help="SMTP port (default: the smtp_port setting)")] = None) -> None:
    """Run the SMTP catcher: every message becomes an .eml file in FOLDER."""
    from services.alerting.mailcatch import serve

    serve(folder, port or get_settings().smtp_port)
