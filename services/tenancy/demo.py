"""The demo workspace of the local stack: a verified user, an area of interest over the
busiest part of the demo data, and an alert rule on every channel."""

from __future__ import annotations

import psycopg

from services.alerting import rule_store
from services.alerting import rules as R
from services.db.engine import set_tenant
from services.settings import Settings
from services.tenancy.admin import create_aoi, create_workspace

DEMO_NAME = "permitwatch demo"
DEMO_EMAIL = "demo@permitwatch.local"


def ensure_demo_workspace(settings: Settings) -> str:
    with psycopg.connect(settings.worker_database_url) as w:
        row = w.execute("SELECT id FROM workspaces WHERE name = %s", (DEMO_NAME,)).fetchone()
    if row:
        return str(row[0])
    with psycopg.connect(settings.database_url) as conn:
        ws = create_workspace(conn, DEMO_NAME, DEMO_EMAIL, phone="+15125550100", verified=True)
        # Martin, Midland, Howard and Glasscock counties, the Midland basin's core; 2 km buffer.
        aoi = create_aoi(conn, ws.workspace_id, "Midland basin core",
                         {"type": "Polygon", "coordinates": [[[-102.3, 31.65], [-101.2, 31.65], [-101.2, 32.52],
                                                               [-102.3, 32.52], [-102.3, 31.65]]]},
                         buffer_meters=2000, created_by=ws.user_id)
        with conn.transaction():
            cur = conn.cursor()
            set_tenant(cur, ws.workspace_id, ws.user_id)
            rule_store.save(cur, ws.workspace_id, R.RuleSpec(name="Midland basin core", aoi_id=aoi, notify_on="new_and_amendments", notify_on_filings=True,
                                                    channels={"sms": True, "email": True, "in_app": True},
                                                    recipients=[ws.user_id]), actor=ws.user_id)
    return str(ws.workspace_id)
