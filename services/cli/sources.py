"""`permitwatch sources ...`: the RRC's file shares: check them, poll them once or on a
schedule, and serve a local GoDrive share for the local stack."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from services.cli.common import console, fail, ingest_progress, out, print_result, progress
from services.settings import get_settings

app = typer.Typer(help="The RRC file shares (GoDrive): check, poll, watch, and a local share server.", no_args_is_help=True)


@app.command("check")
def check(as_json: Annotated[bool, typer.Option("--json", help="one JSON object per share")] = False) -> None:
    """What each share lists now beside what was last ingested from it."""
    from services.ingestion.poll import check as check_shares

    try:
        entries = check_shares(get_settings())
    except OSError as exc:
        fail(str(exc))
    for e in entries:
        if as_json:
            out.print(json.dumps(e, default=str))
            continue
        last = e["last_ingested"]
        out.print(f"[bold]{e['source']}[/] share {e['share']} ({e['pattern']})")
        if "error" in e:
            out.print(f"  [red]cannot read the share[/]: {e['error']}")
        elif e["newest"] is None:
            out.print(f"  lists {e['listed_files']} files, none matching")
        else:
            n = e["newest"]
            out.print(f"  newest: {n['key']} published {n['published_at']:%Y-%m-%d %H:%M:%S %Z} ({', '.join(n['files'][:3])}"
                      + (f" and {len(n['files']) - 3} more" if len(n['files']) > 3 else "") + ")")
            out.print(f"  waiting to be ingested: {', '.join(e['waiting']) or 'nothing'}")
        if not last:
            out.print("  last ingested: nothing yet")
            continue
        out.print(f"  last ingested: {last['uri']} ({last['status']})")
        published = last["published_at"]
        steps = (("RRC published", published), ("fetched", last["fetched_at"]), ("ingest committed", last["finished_at"]),
                 ("first alert evaluated", last["first_evaluated_at"]), ("first delivered", last["first_delivered_at"]))
        for label, at in steps:
            after = f" (+{(at - published).total_seconds() / 60:,.1f} min)" if at and published and label != "RRC published" else ""
            out.print(f"    {label:<22} {at:%Y-%m-%d %H:%M:%S %Z}{after}" if at else f"    {label:<22} —")


def _poll_once(only: str | None, share: str | None = None, pattern: str | None = None) -> int:
    from services.ingestion.godrive.client import GoDriveError
    from services.ingestion.pipeline import IngestError
    from services.ingestion.poll import poll

    settings = get_settings()
    try:
        with progress() as bar:
            results = poll(settings, only=only, share_id=share, pattern=pattern, say=console.print, progress=ingest_progress(bar))
    except (GoDriveError, IngestError, ValueError, OSError) as exc:
        console.print(f"[red]poll failed[/]: {exc}")
        return 2
    for r in results:
        print_result(r)
    return 2 if any(r.status == "failed" for r in results) else 0


@app.command("poll")
def poll_cmd(source: Annotated[str | None, typer.Option(help="only this source (rrc_daf420 or rrc_pending)")] = None,
             share: Annotated[str | None, typer.Option(help="its share id, if not the configured one (needs --source)")] = None,
             pattern: Annotated[str | None, typer.Option(help="file names it takes, if not the configured ones (needs --source)")] = None,
             ) -> None:
    """List the shares once and ingest what is new (what the Kubernetes CronJob runs)."""
    if (share or pattern) and not source:
        fail("--share and --pattern apply to one source: give --source too", 2)
    code = _poll_once(source, share, pattern)
    if code:
        raise typer.Exit(code)


@app.command("watch")
def watch(interval: Annotated[float | None, typer.Option(help="seconds between polls (default: settings)", min=1)] = None,
          source: Annotated[str | None, typer.Option(help="only this source")] = None) -> None:
    """Poll the shares forever (the local stack's scheduler; Kubernetes uses the CronJob)."""
    every = interval or get_settings().poll_interval_seconds
    console.print(f"polling the RRC shares every {every:.0f} s")
    while True:
        _poll_once(source)
        time.sleep(every)


@app.command("serve")
def serve_shares(root: Annotated[Path | None, typer.Option(help="folder of shares, one sub-folder per share id")] = None,
          port: Annotated[int | None, typer.Option(help="port (default: settings stack_godrive_port)")] = None) -> None:
    """Serve folders as GoDrive shares over the RRC's protocol (the local stack's RRC)."""
    from services.ingestion.godrive.local_server import LocalGoDrive
    settings = get_settings()
    root = root or settings.godrive_root
    for share in (settings.rrc_daily_share, settings.rrc_pending_share):
        (root / share).mkdir(parents=True, exist_ok=True)
    server = LocalGoDrive(root, port=port or settings.stack_godrive_port)
    console.print(f"GoDrive shares of {root} on {server.url}/link/<share id>")
    server.serve_forever()
