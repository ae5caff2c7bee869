"""`permitwatch workspaces ...`: workspaces, members, areas, saved searches and watchlists
for an operator of the platform, through the same domain functions (checks, audit) as the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import psycopg
import typer

from services.cli.common import connect, fail, out, parse_uuid
from services.errors import DomainError
from services.tenancy import admin

app = typer.Typer(help="Workspaces, members, areas of interest, saved searches and watchlists (operator tools).",
                  no_args_is_help=True)


@app.command("create")
def create(name: Annotated[str, typer.Argument(help="workspace name")],
           owner: Annotated[str, typer.Option(help="owner's email")],
           phone: Annotated[str | None, typer.Option(help="owner's phone, E.164 (+1512...)")] = None,
           verified: Annotated[bool, typer.Option(help="mark the owner's email and phone verified")] = False,
           sms_per_day: Annotated[int, typer.Option(help="SMS limit per day", min=0)] = 50) -> None:
    """Create a workspace with its owner (audited). Prints the workspace and user ids."""
    with connect() as conn:
        try:
            created = admin.create_workspace(conn, name, owner, phone=phone, verified=verified, sms_per_day=sms_per_day)
        except DomainError as exc:
            fail(str(exc))
    out.print_json(json.dumps({"workspace_id": str(created.workspace_id), "user_id": str(created.user_id)}))


@app.command("member")
def member(workspace: Annotated[str, typer.Argument(help="workspace id")], email: Annotated[str, typer.Argument(help="email")],
           role: Annotated[str, typer.Option(help="owner | admin | member")] = "member",
           phone: Annotated[str | None, typer.Option(help="phone, E.164")] = None,
           verified: Annotated[bool, typer.Option(help="mark email and phone verified")] = False) -> None:
    """Add a member to a workspace (made an account if the email has none)."""
    with connect() as conn:
        try:
            out.print(str(admin.add_member(conn, parse_uuid(workspace, "workspace"), email, role=role, phone=phone, verified=verified)))
        except DomainError as exc:
            fail(str(exc))
        except psycopg.errors.CheckViolation as exc:
            fail(f"refused: {exc.diag.message_primary}")


def _geometry(geojson: Path | None, bbox: str | None) -> dict:
    if bool(geojson) == bool(bbox):
        fail("give exactly one of --geojson or --bbox")
    if bbox:
        try:
            x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
        except ValueError:
            fail(f"--bbox {bbox!r} is not four numbers")
        return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}
    try:
        doc = json.loads(geojson.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        fail(f"{geojson}: not a readable GeoJSON file ({exc})")
    return doc.get("geometry", doc) if isinstance(doc, dict) else doc


@app.command("aoi")
def aoi(workspace: Annotated[str, typer.Argument(help="workspace id")], name: Annotated[str, typer.Argument(help="AOI name")],
        geojson: Annotated[Path | None, typer.Option(help="a GeoJSON Polygon/MultiPolygon (geometry or Feature) file")] = None,
        bbox: Annotated[str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat")] = None,
        buffer: Annotated[int, typer.Option(help="buffer in metres")] = 0) -> None:
    """Add an area of interest to a workspace (same checks and audit trail as the web app)."""
    geom = _geometry(geojson, bbox)
    with connect() as conn:
        try:
            out.print(str(admin.create_aoi(conn, parse_uuid(workspace, "workspace"), name, geom, buffer_meters=buffer)))
        except DomainError as exc:
            fail(f"the area was refused: {exc}")


@app.command("search")
def search(workspace: Annotated[str, typer.Argument(help="workspace id")], name: Annotated[str, typer.Argument(help="name")],
           filters: Annotated[str, typer.Option(help='JSON, e.g. {"counties": ["Midland"], "profiles": ["horizontal"]}')]) -> None:
    """Add a saved search (filters are checked against the reference tables)."""
    try:
        parsed = json.loads(filters)
    except json.JSONDecodeError as exc:
        fail(f"--filters is not JSON: {exc}")
    with connect() as conn:
        try:
            out.print(str(admin.create_saved_search(conn, parse_uuid(workspace, "workspace"), name, parsed)))
        except DomainError as exc:
            fail(str(exc))


@app.command("watchlist")
def watchlist(workspace: Annotated[str, typer.Argument(help="workspace id")], name: Annotated[str, typer.Argument(help="name")],
              p5: Annotated[list[str], typer.Option(help="an operator's P-5 number (repeat)")]) -> None:
    """Add an operator watchlist by P-5 numbers."""
    with connect() as conn:
        try:
            out.print(str(admin.create_watchlist_by_p5(conn, parse_uuid(workspace, "workspace"), name, p5)))
        except DomainError as exc:
            fail(f"{exc} (see `permitwatch operators list`)")
