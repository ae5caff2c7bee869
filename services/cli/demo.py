"""`permitwatch demo ...`: generated data in the real daf420.dat layout."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import psycopg
import typer

from services.cli.common import console, fail, progress
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
def next_day(wait: Annotated[float, typer.Option(help="seconds to wait for the source watcher to ingest it", min=0)] = 120) -> None:
    """Publish the next demo day on the local GoDrive shares (its daily file and its pending
    sets), as the RRC would, and wait until the source watcher has fetched and ingested
    them (their alerts follow within seconds)."""
    import time

    from services import localstack
    from services.ingestion.demo import publish_day, taken

    settings = get_settings()
    try:
        path = next_demo_file(settings)
    except psycopg.OperationalError as exc:
        fail(f"cannot reach the database ({exc.__class__.__name__}); is the stack up? try `permitwatch up`")
    if path is None:
        console.print("every demo day is ingested; `permitwatch demo generate --start ...` makes more")
        return
    if not localstack.daemons().get("source-watch") or not localstack.daemons().get("godrive"):
        fail("the local GoDrive share and its watcher are not running; `permitwatch up` starts them")
    shared = publish_day(settings, date.fromisoformat(path.name[len("daf420-"):-len(".dat")]))
    console.print(f"published {path.name} and {len(shared) - 1} pending-set files on the local RRC shares; "
                  "waiting for the source watcher")
    deadline = time.monotonic() + wait
    while not (runs := taken(settings, path, shared[1:]))["done"]:
        if time.monotonic() > deadline:
            fail(f"not ingested within {wait:.0f} s; see .local/log/source-watch.log and `permitwatch sources check`")
        time.sleep(0.5)
    for run in runs["runs"]:
        m = run["metrics"] or {}
        changes = ", ".join(f"{k.removeprefix('changes_')} {v}" for k, v in sorted(m.items()) if k.startswith("changes_"))
        console.print(f"{run['source']} {run['status']}: run {run['id']}, RRC published {run['published_at']:%Y-%m-%d %H:%M:%S %Z}, "
                      f"{m.get('changes', 0)} changes{f' ({changes})' if changes else ''}")
    if not all(r["promoted"] for r in runs["runs"]):
        raise typer.Exit(2)
