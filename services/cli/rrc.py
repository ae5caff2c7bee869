"""`permitwatch rrc ...`: tools for RRC source files that never touch the database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from services.cli.common import fail
from services.settings import get_settings

app = typer.Typer(help="Tools for RRC source files that never touch the database.", no_args_is_help=True)


@app.command("parse")
def parse(
    file: Annotated[Path, typer.Argument(help="daf420.dat (plain, .gz or .zip)")],
    problems_only: Annotated[bool, typer.Option(help="only versions with problems, and skipped lines")] = False,
) -> None:
    """Print one JSON object per permit version (status number + sequence), decoded, with
    per-record problems; skipped lines too. Touches no database."""
    from services.ingestion.fetch import SourceError, open_source
    from services.ingestion.sources.rrc import SkippedLine, parse_lines

    try:
        sf = open_source(str(file), get_settings().data_dir / "downloads")
    except SourceError as exc:
        fail(str(exc))
    write = sys.stdout.write
    with sf.lines(("daf420.dat",)) as lines:
        for item in parse_lines(lines):
            if isinstance(item, SkippedLine):
                obj = {"skipped_line": item.line_no, "reason": item.reason, "status_number": item.status_number,
                       "text": item.text}
            else:
                if problems_only and not item.problems:
                    continue
                obj = {"status_number": item.status_number, "sequence": item.sequence, "line": item.line_no,
                       "quarantined": item.fatal, **item.fields, "problems": [p.as_dict() for p in item.problems]}
            write(json.dumps(obj, default=str) + "\n")


@app.command("pending")
def pending(
    path: Annotated[Path, typer.Argument(help="a folder or ZIP holding one dp_*_pending file set")],
    problems_only: Annotated[bool, typer.Option(help="only applications with problems, and skipped lines")] = False,
) -> None:
    """Print one JSON object per application pending approval (status number, universal
    document number, operator, lease, well, purpose, profile, submitted time, location and
    where it came from, problems); skipped lines too. Touches no database."""
    from services.ingestion.fetch import SourceError
    from services.ingestion.pending_set import read_set
    from services.ingestion.sources.pending import parse_set
    from services.ingestion.sources.rrc import SkippedLine

    try:
        tables, stamp = read_set(path)
    except (SourceError, OSError) as exc:
        fail(str(exc))
    write = sys.stdout.write
    for item in parse_set(tables):
        if isinstance(item, SkippedLine):
            write(json.dumps({"skipped_line": item.line_no, "reason": item.reason, "text": item.text[:300]}) + "\n")
            continue
        if problems_only and not item.problems:
            continue
        write(json.dumps({"status_number": item.status_number, "sequence": item.sequence, "set": stamp, "line": item.line_no,
                          "quarantined": item.fatal, **item.fields, "problems": [p.as_dict() for p in item.problems]},
                         default=str) + "\n")

