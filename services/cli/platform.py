"""`permitwatch platform ...`: who runs the service (platform admins) and the product
metrics they watch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from services.cli.common import console, fail, out
from services.settings import get_settings

app = typer.Typer(help="Platform admins and the weekly product metrics.", no_args_is_help=True)


@app.command("admin")
def admin(email: Annotated[str, typer.Argument(help="the account's e-mail")],
          revoke: Annotated[bool, typer.Option("--revoke", help="take platform admin away instead")] = False) -> None:
    """Let an account see the product metrics (Product metrics in the app, /v1/platform/metrics), or --revoke it."""
    import psycopg

    from services.tenancy.admin import set_platform_admin

    with psycopg.connect(get_settings().database_owner_url) as conn:
        if not set_platform_admin(conn, email, not revoke):
            fail(f"no account with the e-mail {email}")
    console.print(f"{email} is {'no longer ' if revoke else ''}a platform admin")


@app.command("metrics")
def metrics(weeks: Annotated[int, typer.Option(help="weeks to compute and show, this one first", min=1, max=52)] = 4) -> None:
    """Compute the weekly product metrics now (the sweep does it every minute) and print them."""
    import psycopg

    from services.engagement.compute import refresh

    with psycopg.connect(get_settings().database_owner_url) as conn:
        done = refresh(conn, datetime.now(UTC), weeks)
    for start, w in done:
        act = "—" if w.activation_rate is None else f"{w.activation_rate:.0%}"
        paid = "—" if w.trial_to_paid_rate is None else f"{w.trial_to_paid_rate:.0%}"
        out.print(f"week of {start}: {w.actionable_alerts_opened}/{w.alerts_opened} opened alerts actionable, {w.active_accounts} active "
                  f"accounts, {w.actionable_per_active_account:.2f} per account; {w.signups} sign-ups ({act} activated); "
                  f"{w.trials_ended} trials ended ({paid} paid)")
