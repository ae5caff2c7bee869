"""`permitwatch operators ...`: operator identity by P-5 number, aliases, audited merges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import psycopg
import typer
from rich.table import Table

from services.cli.common import connect, fail, out, parse_uuid
from services.errors import InvalidInput
from services.ingestion.errors import SourceError
from services.operators import identity
from services.operators.names import name_key
from services.operators.similar import DEFAULT_MIN_SCORE

app = typer.Typer(help="Operator identity: P-5 numbers, name aliases, manual merges.", no_args_is_help=True)


@contextmanager
def _owner_change() -> Iterator[psycopg.Cursor]:
    """A platform change on the owner role (it spans every workspace), in one transaction;
    a refusal ends the command with its message and nothing written."""
    with connect("owner") as conn:
        try:
            yield conn.cursor()
        except InvalidInput as exc:
            fail(str(exc))
        conn.commit()


@app.command("list")
def list_(search: Annotated[str | None, typer.Option(help="name contains")] = None,
          limit: Annotated[int, typer.Option(help="how many", min=1, max=10000)] = 30) -> None:
    """Operators with their P-5 number, alias count and permits."""
    with connect() as conn:
        rows = identity.list_operators(conn.cursor(), search, limit)
    table = Table("id", "P-5", "name", "aliases", "permits")
    for r in rows:
        table.add_row(str(r["id"]), r["p5_number"] or "", r["name"], str(r["aliases"]), str(r["permits"]))
    out.print(table)


@app.command("resolve")
def resolve(name: Annotated[str, typer.Argument(help="an operator name as any source spells it")],
            create: Annotated[bool, typer.Option(help="create an operator when none matches")] = False) -> None:
    """Which operator a name belongs to: exact normalized alias, or an RRC name cut at 32 characters."""
    with connect() as conn:
        res = identity.resolve_name(conn.cursor(), name, create=create)
        conn.commit()
    out.print_json(json.dumps({"name": name, "key": name_key(name), "operator_id": res.operator_id, "how": res.how,
                               "candidates": res.candidates}, default=str))
    if res.operator_id is None:
        raise typer.Exit(3)


@app.command("merge")
def merge(keep: Annotated[str, typer.Argument(help="operator id to keep")],
          absorb: Annotated[str, typer.Argument(help="operator id to fold into KEEP")],
          reason: Annotated[str, typer.Option(help="why (goes to the audit log)")],
          actor: Annotated[str, typer.Option(help="who")] = "cli") -> None:
    """Merge two operators (audited). Runs as the owner role: it spans every workspace."""
    with _owner_change() as cur:
        moved = identity.merge(cur, parse_uuid(keep, "operator"), parse_uuid(absorb, "operator"), actor=actor, reason=reason)
    out.print_json(json.dumps({"kept": keep, "absorbed": absorb, "moved": moved}))


@app.command("link")
def link(predecessor: Annotated[str, typer.Argument(help="operator id of the older company")],
         successor: Annotated[str, typer.Argument(help="operator id that carries on (usually a new P-5 number)")],
         note: Annotated[str | None, typer.Option(help="what happened (goes to the audit log)")] = None,
         actor: Annotated[str, typer.Option(help="who")] = "cli") -> None:
    """Link an operator to its successor (audited; `unlink` reverses it)."""
    with _owner_change() as cur:
        link_id = identity.link(cur, parse_uuid(predecessor, "operator"), parse_uuid(successor, "operator"), actor=actor, note=note)
    out.print_json(json.dumps({"link_id": link_id, "predecessor": predecessor, "successor": successor}))


@app.command("unlink")
def unlink(link_id: Annotated[int, typer.Argument(help="the link's id (shown by `link` and on the profile)")],
           actor: Annotated[str, typer.Option(help="who")] = "cli") -> None:
    """Remove a predecessor/successor link (audited)."""
    with _owner_change() as cur:
        identity.unlink(cur, link_id, actor=actor)
    out.print(f"link {link_id} removed")


@app.command("suggest")
def suggest(min_score: Annotated[float, typer.Option(help="similarity 0-100", min=50, max=100)] = DEFAULT_MIN_SCORE,
            limit: Annotated[int, typer.Option(min=1, max=1000)] = 30) -> None:
    """Pairs of operators whose names look like one company, for review. Nothing is merged."""
    with connect() as conn:
        rows = identity.suggestions(conn.cursor(), min_score=min_score, limit=limit)
    table = Table("score", "operator", "id", "looks like", "id")
    for r in rows:
        table.add_row(f"{r['score']:.0f}", r["a_name"], str(r["a"]), r["b_name"], str(r["b"]))
    out.print(table)


@app.command("load-p5")
def load_p5(uri: Annotated[str, typer.Argument(help="orf850.txt(.gz), a ZIP holding it, or its URL")]) -> None:
    """Load the RRC P-5 organization file: official names, P-5 status and organization type
    for the operators we know; malformed records are quarantined, every record kept raw."""
    from services.ingestion import p5_load
    from services.settings import get_settings

    out.print(f"reading {uri} …")
    with connect("owner") as conn:
        try:
            result = p5_load.load(conn, uri, data_dir=get_settings().data_dir)
        except SourceError as exc:
            fail(str(exc))
    out.print_json(json.dumps(result))


@app.command("unmerge")
def unmerge(absorbed: Annotated[str, typer.Argument(help="the operator id a merge folded away")],
            reason: Annotated[str, typer.Option(help="why (goes to the audit log)")],
            actor: Annotated[str, typer.Option(help="who")] = "cli") -> None:
    """Undo a merge: exactly the rows it moved go back (audited)."""
    with _owner_change() as cur:
        moved = identity.unmerge(cur, parse_uuid(absorbed, "operator"), actor=actor, reason=reason)
    out.print_json(json.dumps({"restored": absorbed, "moved_back": moved}))
