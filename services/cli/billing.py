"""`permitwatch billing ...`: the plans in Stripe, a workspace's billing, and the local
Stripe stand-in of the local stack."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer

from services.cli.common import console, fail, out
from services.settings import LOCAL_DIR, get_settings

app = typer.Typer(help="Plans and Stripe: create the catalogue in Stripe, show a workspace's billing, run the local Stripe stand-in.",
                  no_args_is_help=True)


@app.command("catalog")
def catalog() -> None:
    """Create in Stripe the products, prices and meter of the plans and add-ons it lacks (found by lookup key)."""
    from services.billing.stripe_api import BillingUnavailable, client, sync_catalog

    try:
        made = sync_catalog(client(get_settings()))
    except BillingUnavailable as exc:
        fail(str(exc))
    out.print(f"Stripe catalogue: {'created ' + ', '.join(made) if made else 'already complete'}")


@app.command("show")
def show(workspace: Annotated[uuid.UUID, typer.Argument(help="workspace id")]) -> None:
    """A workspace's plan, standing and this month's usage against its limits."""
    import psycopg

    from services.billing import summary

    with psycopg.connect(get_settings().database_owner_url) as conn:
        try:
            s = summary.build(conn.cursor(), workspace, datetime.now(UTC))
        except LookupError as exc:
            fail(str(exc))
    out.print(f"[bold]{s['plan']['name']}[/] ({s['status']}, {s['standing']})" + (f": {s['message']}" if s["message"] else ""))
    for u in s["usage"]:
        out.print(f"  {u['label']}: {u['used']:,} of {u['allowed']:,}")
    for n in s["notices"]:
        out.print(f"  [yellow]{n['message']}[/]")


@app.command("standin")
def standin(port: Annotated[int | None, typer.Option(help="port (default: settings stack_stripe_port)")] = None) -> None:
    """Serve the local Stripe stand-in (API, Checkout and Portal pages, signed webhooks to this app)."""
    from services.billing.standin import StripeStandIn

    s = get_settings()
    if not (s.stripe_secret_key and s.stripe_webhook_secret):
        fail("the stand-in needs PERMITWATCH_STRIPE_SECRET_KEY and PERMITWATCH_STRIPE_WEBHOOK_SECRET (`permitwatch stack up` writes them)")
    server = StripeStandIn(api_key=s.stripe_secret_key, webhook_secret=s.stripe_webhook_secret,
                           webhook_url=f"{s.public_base_url.rstrip('/')}/webhooks/stripe", port=port or s.stack_stripe_port,
                           state_file=LOCAL_DIR / "stripe-standin.json")
    console.print(f"Stripe stand-in on {server.url} (webhooks to {server.webhook_url})")
    server.serve_forever()


def catalog_when_up(wait: float = 20.0) -> None:
    """The main job's step: the plans in the local stand-in once it listens."""
    import time

    from services.billing.stripe_api import BillingUnavailable, client, sync_catalog

    deadline = time.monotonic() + wait
    while True:
        try:
            made = sync_catalog(client(get_settings()))
            break
        except BillingUnavailable as exc:
            if time.monotonic() > deadline:
                fail(f"the Stripe catalogue could not be made: {exc}")
            time.sleep(0.5)
    console.print(f"billing: plans {'created in' if made else 'already in'} Stripe ({get_settings().stripe_api_base or 'api.stripe.com'})")
