"""`permitwatch alerts ...`: alert rules, the worker, events, the outbox and dead letters."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from services.alerting import report
from services.alerting.rules import RuleSpec
from services.cli.common import connect, fail, out, parse_uuid
from services.errors import DomainError
from services.settings import get_settings
from services.tenancy import admin

app = typer.Typer(help="Alert rules, the evaluator and delivery workers, events, outbox and dead letters.", no_args_is_help=True)


@app.command("rule")
def rule(workspace: Annotated[str, typer.Argument(help="workspace id")], name: Annotated[str, typer.Argument(help="rule name")],
         aoi: Annotated[str | None, typer.Option(help="AOI id")] = None,
         search: Annotated[str | None, typer.Option(help="saved search id")] = None,
         watchlist: Annotated[str | None, typer.Option(help="watchlist id")] = None,
         notify_on: Annotated[str, typer.Option(help="new_only | new_and_amendments | all_changes")] = "new_only",
         sms: Annotated[bool, typer.Option(help="send SMS")] = False,
         email: Annotated[bool, typer.Option(help="send email")] = False,
         in_app: Annotated[bool, typer.Option(help="in-app inbox")] = True,
         recipient: Annotated[list[str] | None, typer.Option(help="member email (repeat); default: every member")] = None,
         quiet: Annotated[str | None, typer.Option(help="quiet hours HH:MM-HH:MM, every day")] = None,
         timezone: Annotated[str, typer.Option(help="IANA time zone")] = "America/Chicago",
         digest: Annotated[str, typer.Option(help="none | daily | weekly")] = "none",
         digest_at: Annotated[str, typer.Option(help="digest time HH:MM")] = "07:00") -> None:
    """Create an alert rule. A rule that cannot work is refused with what to fix."""
    quiet_hours = None
    if quiet:
        start, _, end = quiet.partition("-")
        quiet_hours = {"timezone": timezone, "windows": [{"start": start, "end": end}]}
    spec = RuleSpec(name=name, aoi_id=aoi and parse_uuid(aoi, "aoi"), saved_search_id=search and parse_uuid(search, "search"),
                    watchlist_id=watchlist and parse_uuid(watchlist, "watchlist"), notify_on=notify_on,
                    channels={"sms": sms, "email": email, "in_app": in_app}, quiet_hours=quiet_hours, timezone=timezone,
                    digest_mode=digest, digest_at=digest_at)
    with connect() as conn:
        try:
            rule_id = admin.create_rule(conn, parse_uuid(workspace, "workspace"), spec, recipient)
        except DomainError as exc:
            fail(f"rule refused: {exc}")
    out.print(str(rule_id))


@app.command("arrived")
def arrived(wait: Annotated[float, typer.Option(help="seconds to wait for every channel", min=0)] = 60.0) -> None:
    """Did the newest ingestion run's alerts arrive on every channel: an e-mail in .local/mail/,
    an SMS file, an in-app inbox row? Exits 1 naming the channels still empty after WAIT seconds."""
    import time

    from services.alerting.arrivals import arrivals, missing_channels

    deadline = time.monotonic() + wait
    while True:
        with connect("worker") as conn:
            seen = arrivals(conn, get_settings())
        missing = missing_channels(seen)
        if not missing or time.monotonic() >= deadline:
            break
        time.sleep(1)
    out.print(f"run {seen['run']}: e-mails {seen['email']}, SMS {seen['sms']}, in-app {seen['in_app']}")
    if missing:
        fail(f"nothing arrived on {', '.join(missing)} within {wait:.0f} s (see .local/log/alert-worker.log)")


@app.command("rules")
def rules() -> None:
    """Every rule of every workspace, with its event count."""
    with connect("worker") as conn:
        rows = report.rules(conn)
    table = Table("id", "workspace", "name", "on", "notify", "channels", "digest", "target", "events")
    for r in rows:
        target = "+".join(k for k in ("aoi", "search", "watchlist") if r[k])
        table.add_row(str(r["id"])[:8], r["workspace"], r["name"], "yes" if r["enabled"] else "no", r["notify_on"],
                      ",".join(k for k, v in r["channels"].items() if v), r["digest_mode"], target, str(r["events"]))
    out.print(table)


@app.command("events")
def events(limit: Annotated[int, typer.Option(help="how many", min=1, max=10000)] = 20) -> None:
    """Recent alert events with the delivery status of each channel."""
    with connect("worker") as conn:
        rows = report.events(conn, limit)
    table = Table("when", "rule", "change", "permit", "operator", "county", "delivery")
    for r in rows:
        table.add_row(f"{r['triggered_at']:%m-%d %H:%M:%S}", r["rule"], r["change"], r["permit"], (r["operator"] or "")[:28],
                      r["county"] or "", r["delivery"] or "")
    out.print(table)


@app.command("outbox")
def outbox() -> None:
    """Outbox rows by channel and status."""
    with connect("worker") as conn:
        for r in report.outbox_counts(conn):
            out.print(f"{r['channel']:7} {r['status']:9} {r['n']:6}" + (f"  next due {r['next_due']:%Y-%m-%d %H:%M %Z}" if r["next_due"] else ""))


@app.command("dead")
def dead() -> None:
    """Dead letters: deliveries that gave up, with the last error."""
    with connect("worker") as conn:
        for r in report.dead_letters(conn):
            out.print(json.dumps(r, default=str))


@app.command("requeue")
def requeue(ids: Annotated[list[int] | None, typer.Argument(help="outbox ids; none: every dead letter")] = None) -> None:
    """Put dead letters back in the queue."""
    from services.alerting.delivery import requeue_dead

    with connect("worker") as conn:
        out.print(f"requeued {requeue_dead(conn, ids or None)}")


@app.command("worker")
def worker(evaluate: Annotated[bool, typer.Option(help="evaluate new permit changes")] = True,
           deliver: Annotated[bool, typer.Option(help="deliver the outbox")] = True,
           once: Annotated[bool, typer.Option(help="one round, then exit")] = False,
           poll: Annotated[float, typer.Option(help="seconds between rounds when idle", min=0.05)] = 2.0) -> None:
    """The long-running alert worker (woken by ingestion; SIGTERM stops it after the round)."""
    import logging

    from services.alert_worker import run
    from services.metrics import serve as metrics

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    if not once:
        metrics.start(settings)
    run(settings, evaluate=evaluate, deliver=deliver, poll=poll, once=once)
