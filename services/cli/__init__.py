"""The `permitwatch` command: a package of thin command modules, one per domain, over the
domain functions the API and the workers call too. Every command and group has --help."""

from __future__ import annotations

import typer

from services.cli import alerts, billing, db, demo, exports, ingest, mail, main, operators, platform, reports, rrc, sources, stack, workspaces

app = typer.Typer(help="permitwatch: Texas drilling-permit alerts. Ingests RRC permits into PostGIS.",
                  no_args_is_help=True, rich_markup_mode="rich")
for module, name in ((workspaces, "workspaces"), (alerts, "alerts"), (mail, "mail"), (stack, "stack"), (db, "db"),
                     (demo, "demo"), (ingest, "ingest"), (rrc, "rrc"), (operators, "operators"), (sources, "sources"),
                     (exports, "exports"), (reports, "reports"), (billing, "billing"), (platform, "platform")):
    app.add_typer(module.app, name=name)
for command in (main.status, main.up, main.web, main.openapi, main.down):
    app.command(command.__name__)(command)
