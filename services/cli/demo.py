"""`permitwatch demo ...`: generated data in the real daf420.dat layout."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import psycopg
import typer

from services.cli.common import console, fail, print_result, progress
from services.ingestion.demo import DEMO_DIR, next_demo_file, write_demo
from services.settings import get_settings

app = typer.Typer(help="Demo and test data in the real daf420.dat layout.", no_args_is_help=True)


def generate_files(*, out_dir: Path, seed: int, permits: int, start: date, days: int, weekends: bool = False,
                   only_last: bool = False) -> list[Path]:
    with progress() as bar:
        task = bar.add_task("generating daily files", total=None)
        files = write_demo(out_dir, seed=seed, permits=permits, start=start, days=days, weekends=weekends, only_last=only_last,
                           progress=lambda n, total: bar.update(task, completed=n, total=total))
    console.print(f"{len(files)} files in {out_dir}")
    return files


@app.command("generate")
def generate(
    out_dir: Annotated[Path, typer.Argument(help="folder for the daily files")] = DEMO_DIR,
    seed: Annotated[int, typer.Option(help="random seed: same seed, same bytes")] = 42,
    permits: Annotated[int, typer.Option(help="permits in the universe (1 to 1,000,000+)", min=1)] = 3000,
    start: Annotated[str, typer.Option(help="first issue day, YYYY-MM-DD")] = "2026-06-01",
    days: Annotated[int, typer.Option(help="days the permits are issued over", min=1)] = 61,
    weekends: Annotated[bool, typer.Option(help="also write weekend files (copies of Friday)")] = False,
    only_last: Annotated[bool, typer.Option(help="write only the last day's file (benchmarks)")] = False,
) -> None:
    """Write one daf420-YYYY-MM-DD.dat file per business day, as RRC publishes them."""
    try:
        first = date.fromisoformat(start)
    except ValueError:
        raise typer.BadParameter(f"{start!r} is not a date (YYYY-MM-DD)", param_hint="--start") from None
    generate_files(out_dir=out_dir, seed=seed, permits=permits, start=first, days=days, weekends=weekends, only_last=only_last)


@app.command("next")
def next_day() -> None:
    """Ingest the next demo day not ingested yet (the alert worker picks its changes up)."""
    from services.ingestion.pipeline import ingest

    settings = get_settings()
    try:
        path = next_demo_file(settings)
    except psycopg.OperationalError as exc:
        fail(f"cannot reach the database ({exc.__class__.__name__}); is the stack up? try `permitwatch stack up`")
    if path is None:
        console.print("every demo day is ingested; `permitwatch demo generate --start ...` makes more")
        return
    print_result(ingest(settings, str(path)))
