"""`permitwatch workspaces ...`, `permitwatch alerts ...` and `permitwatch mail ...`:
thin commands over services.tenancy.admin and services.alerting."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from rich.console import Console
from rich.table import Table

from services.settings import LOCAL_DIR, get_settings

workspaces_app = typer.Typer(help="Workspaces, members, areas of interest, saved searches and watchlists (operator tools).",
                             no_args_is_help=True)
alerts_app = typer.Typer(help="Alert rules, the evaluator and delivery workers, events, outbox and dead letters.",
                         no_args_is_help=True)
mail_app = typer.Typer(help="The local stack's mail catcher.", no_args_is_help=True)
console, out = Console(stderr=True), Console()


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _app() -> psycopg.Connection:
    return psycopg.connect(get_settings().database_url)


def _worker() -> psycopg.Connection:
    return psycopg.connect(get_settings().worker_database_url)


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        _fail(f"{what} {value!r} is not an id")
        raise


@workspaces_app.command("create")
def ws_create(name: Annotated[str, typer.Argument(help="workspace name")],
              owner: Annotated[str, typer.Option(help="owner's email")],
              phone: Annotated[str | None, typer.Option(help="owner's phone, E.164 (+1512...)")] = None,
              verified: Annotated[bool, typer.Option(help="mark the owner's email and phone verified")] = False,
              sms_per_day: Annotated[int, typer.Option(help="SMS limit per day")] = 50) -> None:
    """Create a workspace with its owner (audited). Prints the workspace and user ids."""
    from services.tenancy.admin import create_workspace

    with _app() as conn:
        created = create_workspace(conn, name, owner, phone=phone, verified=verified, sms_per_day=sms_per_day)
    out.print_json(json.dumps({"workspace_id": str(created.workspace_id), "user_id": str(created.user_id)}))


@workspaces_app.command("member")
def ws_member(workspace: Annotated[str, typer.Argument(help="workspace id")], email: Annotated[str, typer.Argument(help="email")],
              role: Annotated[str, typer.Option(help="owner | admin | member")] = "member",
              phone: Annotated[str | None, typer.Option(help="phone, E.164")] = None,
              verified: Annotated[bool, typer.Option(help="mark email and phone verified")] = False) -> None:
    """Add a member to a workspace (made an account if the email has none)."""
    from services.tenancy.admin import add_member

    with _app() as conn:
        try:
            out.print(str(add_member(conn, _uuid(workspace, "workspace"), email, role=role, phone=phone, verified=verified)))
        except psycopg.errors.CheckViolation as exc:
            _fail(f"refused: {exc.diag.message_primary}")


@workspaces_app.command("aoi")
def ws_aoi(workspace: Annotated[str, typer.Argument(help="workspace id")], name: Annotated[str, typer.Argument(help="AOI name")],
           geojson: Annotated[Path | None, typer.Option(help="a GeoJSON Polygon/MultiPolygon (geometry or Feature) file")] = None,
           bbox: Annotated[str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat")] = None,
           buffer: Annotated[int, typer.Option(help="buffer in metres")] = 0) -> None:
    """Add an area of interest to a workspace."""
    from services.tenancy.admin import create_aoi

    if bool(geojson) == bool(bbox):
        _fail("give exactly one of --geojson or --bbox")
    if bbox:
        try:
            x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
        except ValueError:
            _fail(f"--bbox {bbox!r} is not four numbers")
        geom = {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}
    else:
        doc = json.loads(geojson.read_text())
        geom = doc.get("geometry", doc)
    with _app() as conn:
        try:
            aoi = create_aoi(conn, _uuid(workspace, "workspace"), name, geom, buffer_meters=buffer or None)
        except psycopg.Error as exc:
            _fail(f"the AOI was refused: {exc.diag.message_primary}")
    out.print(str(aoi))


@workspaces_app.command("search")
def ws_search(workspace: Annotated[str, typer.Argument(help="workspace id")], name: Annotated[str, typer.Argument(help="name")],
              filters: Annotated[str, typer.Option(help='JSON, e.g. {"counties": ["Midland"], "profiles": ["horizontal"]}')]) -> None:
    """Add a saved search (filters are checked against the reference tables)."""
    from services.alerting.filters import FilterError
    from services.tenancy.admin import create_saved_search

    with _app() as conn:
        try:
            out.print(str(create_saved_search(conn, _uuid(workspace, "workspace"), name, json.loads(filters))))
        except (FilterError, json.JSONDecodeError) as exc:
            _fail(str(exc))


@workspaces_app.command("watchlist")
def ws_watchlist(workspace: Annotated[str, typer.Argument(help="workspace id")], name: Annotated[str, typer.Argument(help="name")],
                 p5: Annotated[list[str], typer.Option(help="an operator's P-5 number (repeat)")]) -> None:
    """Add an operator watchlist by P-5 numbers."""
    from services.tenancy.admin import create_watchlist

    with _app() as conn:
        ids = [r[0] for r in conn.execute("SELECT coalesce(merged_into, id) FROM operators WHERE p5_number = ANY(%s)", (p5,))]
        if len(ids) != len(set(p5)):
            _fail("some P-5 numbers are unknown; see `permitwatch operators list`")
        out.print(str(create_watchlist(conn, _uuid(workspace, "workspace"), name, ids)))


@alerts_app.command("rule")
def rule_create(workspace: Annotated[str, typer.Argument(help="workspace id")], name: Annotated[str, typer.Argument(help="rule name")],
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
    from services.alerting import rule_store
    from services.alerting import rules as R
    from services.db.engine import set_tenant

    ws = _uuid(workspace, "workspace")
    quiet_hours = None
    if quiet:
        start, _, end = quiet.partition("-")
        quiet_hours = {"timezone": timezone, "windows": [{"start": start, "end": end}]}
    with _app() as conn:
        with conn.transaction():
            cur = conn.cursor()
            set_tenant(cur, ws)
            members = dict(cur.execute("SELECT lower(u.email), u.id FROM workspace_members m JOIN users u ON u.id = m.user_id").fetchall())
            wanted = [members.get(e.lower()) for e in recipient] if recipient else list(members.values())
            if None in wanted:
                _fail(f"not a member of this workspace: {[e for e in recipient if e.lower() not in members]}")
            spec = R.RuleSpec(name=name, aoi_id=aoi and _uuid(aoi, "aoi"), saved_search_id=search and _uuid(search, "search"),
                              watchlist_id=watchlist and _uuid(watchlist, "watchlist"), notify_on=notify_on,
                              channels={"sms": sms, "email": email, "in_app": in_app}, recipients=wanted,
                              quiet_hours=quiet_hours, timezone=timezone, digest_mode=digest, digest_at=digest_at)
            try:
                rule_id = rule_store.save(cur, ws, spec, actor=None)
            except R.RuleError as exc:
                _fail(f"rule refused: {exc}")
    out.print(str(rule_id))


@alerts_app.command("rules")
def rules_list() -> None:
    """Every rule of every workspace, with its event count."""
    from services.alerting import report

    with _worker() as conn:
        rows = report.rules(conn)
    table = Table("id", "workspace", "name", "on", "notify", "channels", "digest", "target", "events")
    for r in rows:
        target = "+".join(k for k in ("aoi", "search", "watchlist") if r[k])
        table.add_row(str(r["id"])[:8], r["workspace"], r["name"], "yes" if r["enabled"] else "no", r["notify_on"],
                      ",".join(k for k, v in r["channels"].items() if v), r["digest_mode"], target, str(r["events"]))
    out.print(table)


@alerts_app.command("events")
def events_list(limit: Annotated[int, typer.Option(help="how many")] = 20) -> None:
    """Recent alert events with the delivery status of each channel."""
    from services.alerting import report

    with _worker() as conn:
        rows = report.events(conn, limit)
    table = Table("when", "rule", "change", "permit", "operator", "county", "delivery")
    for r in rows:
        table.add_row(f"{r['triggered_at']:%m-%d %H:%M:%S}", r["rule"], r["change"], r["permit"], (r["operator"] or "")[:28],
                      r["county"] or "", r["delivery"] or "")
    out.print(table)


@alerts_app.command("outbox")
def outbox() -> None:
    """Outbox rows by channel and status."""
    from services.alerting import report

    with _worker() as conn:
        for r in report.outbox_counts(conn):
            out.print(f"{r['channel']:7} {r['status']:9} {r['n']:6}" + (f"  next due {r['next_due']:%Y-%m-%d %H:%M %Z}" if r["next_due"] else ""))


@alerts_app.command("dead")
def dead() -> None:
    """Dead letters: deliveries that gave up, with the last error."""
    from services.alerting import report

    with _worker() as conn:
        for r in report.dead_letters(conn):
            out.print(json.dumps(r, default=str))


@alerts_app.command("requeue")
def requeue(ids: Annotated[list[int] | None, typer.Argument(help="outbox ids; none: every dead letter")] = None) -> None:
    """Put dead letters back in the queue."""
    from services.alerting.delivery import requeue_dead

    with _worker() as conn:
        out.print(f"requeued {requeue_dead(conn, ids or None)}")


@alerts_app.command("worker")
def worker(evaluate: Annotated[bool, typer.Option(help="evaluate new permit changes")] = True,
           deliver: Annotated[bool, typer.Option(help="deliver the outbox")] = True,
           once: Annotated[bool, typer.Option(help="one round, then exit")] = False,
           poll: Annotated[float, typer.Option(help="seconds between rounds when idle")] = 2.0) -> None:
    """The long-running alert worker (woken by ingestion; SIGTERM stops it after the round)."""
    import logging

    from services.alerting.worker import run
    from services.metrics import serve as metrics

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    if not once:
        metrics.start(settings)
    run(settings, evaluate=evaluate, deliver=deliver, poll=poll, once=once)


@mail_app.command("catch")
def mail_catch(folder: Annotated[Path, typer.Option(help="where .eml files go")] = LOCAL_DIR / "mail",
               port: Annotated[int | None, typer.Option(help="SMTP port (default: the smtp_port setting)")] = None) -> None:
    """Run the SMTP catcher: every message becomes an .eml file in FOLDER."""
    from services.alerting.mailcatch import serve

    serve(folder, port or get_settings().smtp_port)
