"""`permitwatch exports ...`: the export worker of the local stack and the sweep."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import typer
from rich.console import Console

from services.settings import get_settings

app = typer.Typer(help="Exports: the worker and the sweep of expired files and stalled jobs.", no_args_is_help=True)
console = Console()


@app.command("sweep")
def sweep(every: Annotated[float | None, typer.Option(help="repeat every this many seconds (default: once)", min=5)] = None) -> None:
    """Delete expired export files, retry (or fail) jobs whose worker died, start due scheduled reports."""
    from services.exports.jobs import sweep as run_sweep

    while True:
        done = run_sweep(get_settings())
        console.print(f"exports swept: {done['expired']} expired, {done['requeued']} retried, {done['failed']} failed, "
                      f"{done['reports']} scheduled reports started, {done['usage_rows']} API usage rows written")
        if every is None:
            return
        time.sleep(every)


@app.command("worker")
def worker(sweep_every: Annotated[float, typer.Option(help="seconds between sweeps in this process (0: none)", min=0)] = 60) -> None:
    """Run exports from the `export` queue (the local stack's export worker), sweeping on the side."""
    from services.exports.jobs import sweep as run_sweep
    from services.queueing import run_worker

    def sweeps() -> None:
        while True:
            time.sleep(sweep_every)
            try:
                run_sweep(get_settings())
            except Exception as exc:  # a failed sweep is retried at the next tick
                console.print(f"export sweep failed: {exc}")

    if sweep_every:
        threading.Thread(target=sweeps, name="export-sweep", daemon=True).start()
    run_worker(get_settings(), ["export"])
