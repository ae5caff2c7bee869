"""The top-level commands: `up` (the main job on the local stack), `down`, `status`,
`web` and `openapi`."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from services import localstack
from services.cli.billing import catalog_when_up
from services.cli.common import console, history_with_progress, print_status
from services.cli.db import migrate_to
from services.cli.demo import generate_files
from services.cli.stack import bring_up
from services.settings import get_settings


def status() -> None:
    """Data summary: permits, versions, changes, QA of the last run, and how new the RRC data is."""
    print_status()


def up(permits: Annotated[int, typer.Option(help="demo universe size", min=1)] = 3000,
       seed: Annotated[int, typer.Option(help="demo seed")] = 42) -> None:
    """The main job on the local stack: start it (with the alert worker, the mail catcher
    and the web app), migrate, generate demo files, ingest all but the last day, summarize."""
    from datetime import UTC, datetime, time

    from services.ingestion.demo import DEMO_DIR, DEMO_SPAN_DAYS, DEMO_START, demo_days, published
    from services.tenancy.demo import ensure_demo_workspace

    bring_up()
    migrate_to("head")
    localstack.start_app_processes()
    console.print("alert worker, mail catcher and web app running (logs in .local/log/, mail in .local/mail/, SMS in .local/sms/)")
    generate_files(out_dir=DEMO_DIR, seed=seed, permits=permits, start=DEMO_START, days=DEMO_SPAN_DAYS)
    ensure_demo_workspace(get_settings())
    catalog_when_up()
    failed = 0
    try:
        # What the RRC published before the demo's last day, as history (no alerts);
        # `permitwatch demo next` publishes the last day on the local RRC shares.
        last = datetime.combine(demo_days(DEMO_DIR)[-1], time(0), UTC)
        failed = history_with_progress([i for i in published(DEMO_DIR) if i.at < last])
    finally:
        print_status()  # shown whatever happened, failed runs included
    s = get_settings()
    console.print(f"web app: http://{s.web_host}:{s.web_port}/ (sign up there; e-mails land in .local/mail/)")
    console.print("next: `permitwatch demo next` ingests the next demo day; its alerts land in .local/mail/ and "
                  ".local/sms/ within seconds (`permitwatch alerts events`)")
    if failed:
        raise typer.Exit(2)


def web(host: Annotated[str | None, typer.Option(help="address to listen on (default: settings web_host)")] = None,
        port: Annotated[int | None, typer.Option(help="port (default: settings web_port)")] = None,
        workers: Annotated[int, typer.Option(help="uvicorn worker processes", min=1)] = 1) -> None:
    """Serve the web app, the /v1 API and the map tiles (uvicorn)."""
    import uvicorn

    from services.api.app import MAX_REQUEST_HEAD

    s = get_settings()
    console.print(f"permitwatch web on http://{host or s.web_host}:{port or s.web_port}/ (API docs at /docs)")
    uvicorn.run("services.api.app:create_app", factory=True, host=host or s.web_host, port=port or s.web_port,
                workers=workers, log_level="info", proxy_headers=True, h11_max_incomplete_event_size=MAX_REQUEST_HEAD)


def openapi(indent: Annotated[int, typer.Option(help="JSON indent; 0 for one line", min=0)] = 2) -> None:
    """Print the OpenAPI document of the web API as JSON."""
    from services.api.app import openapi_document

    sys.stdout.write(json.dumps(openapi_document(), indent=indent or None) + "\n")


def down() -> None:
    """Stop the alert worker, the mail catcher, the web app and the local stack (data is kept)."""
    stopped = localstack.stop_daemons() + localstack.down()
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
