"""A filing's life over PostGIS: pending sets and daily files from the generator, loaded
in publication order; filed, then approved (with the time to approval, and the filing's
location carried to an approved permit the daily file has no coordinates for), or
left pending; and a rule that asks for filings hears of them before approval."""

import json
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest

from services.alerting import rule_store
from services.alerting import rules as R
from services.alerting.evaluate import evaluate_pending
from services.db.engine import set_tenant
from services.ingestion.demo import load_history, published, write_demo
from services.ingestion.pipeline import ingest
from services.tenancy import admin
from tests.conftest import env_for

START = date(2026, 6, 1)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, seed=11, permits=500, start=START, days=30)
    return folder


def test_filings_are_filed_then_approved_with_their_time_and_location(settings, owner_conn, demo_folder):
    results = load_history(settings, published(demo_folder))
    assert all(r.promoted for r in results)
    counts = dict(owner_conn.execute("SELECT change_type, count(*) FROM permit_changes GROUP BY 1").fetchall())
    assert counts["filed"] > 400 and counts["approved"] > 400
    # Every approval names its filing, and came after it.
    rows = owner_conn.execute("""SELECT (details->>'hours_to_approval')::float, details->>'filing_permit_id' FROM permit_changes
                                 WHERE change_type = 'approved'""").fetchall()
    assert all(h > 0 and f for h, f in rows)
    # An approved filing leaves the current permits; its approved permit stands for it.
    doubled = owner_conn.execute("""SELECT count(*) FROM permits_current c JOIN permits p ON p.id = c.permit_id
                                    GROUP BY p.source_permit_no HAVING count(*) > 1""").fetchall()
    assert doubled == []
    # Daily permits without coordinates carry their filing's location, said as such.
    carried = owner_conn.execute("""
        SELECT v.attributes->>'location_source', v.attributes->'surface_location', ST_X(c.geom) FROM permit_changes ch
        JOIN permit_versions v ON v.id = ch.permit_version_id JOIN permits_current c ON c.permit_id = ch.permit_id
        WHERE ch.change_type = 'approved' AND (ch.details->>'location_from_filing')::boolean""").fetchall()
    assert len(carried) > 20
    assert [c for c in carried if not c[0].startswith("pending filing") or c[1] is not None or c[2] is None] == [], carried[:3]


def test_a_filing_never_approved_is_reported_as_left_pending_with_evidence(settings, owner_conn, demo_folder):
    s = settings.model_copy(update={"pending_expire_days": 5})
    load_history(s, published(demo_folder))
    left = owner_conn.execute("""SELECT p.source_permit_no, c.details->>'evidence', pc.status FROM permit_changes c
                                 JOIN permits p ON p.id = c.permit_id JOIN permits_current pc ON pc.permit_id = p.id
                                 WHERE c.change_type = 'left_pending'""").fetchall()
    # The withdrawn siblings (status numbers 08xxxxx) never approved: each is reported, none dropped.
    siblings = owner_conn.execute("SELECT count(*) FROM permits WHERE source = 'rrc_pending' AND source_permit_no LIKE '08%'").fetchone()[0]
    assert siblings > 3 and {n for n, _, _ in left} >= {n for (n,) in owner_conn.execute(
        """SELECT p.source_permit_no FROM permits p JOIN permit_filings f ON f.permit_id = p.id
           WHERE p.source = 'rrc_pending' AND p.source_permit_no LIKE '08%' AND f.first_seen_at < '2026-06-22'""")}
    assert all("not approved within 5 days" in ev and status == "no longer pending" for _, ev, status in left)


def test_a_rule_that_asks_for_filings_hears_of_them_before_approval(settings, app_conn, worker_conn, owner_conn, demo_folder):
    items = published(demo_folder)
    cut = datetime(2026, 6, 20, tzinfo=UTC)
    load_history(settings, [i for i in items if i.at < cut])
    ws = admin.create_workspace(app_conn, "Early", "early@example.com", verified=True)
    search = admin.create_saved_search(app_conn, ws.workspace_id, "everything", {"statuses": ["pending", "approved"]})
    ids = {}
    for name, filings in (("filings", True), ("approved only", False)):
        with app_conn.transaction():
            cur = app_conn.cursor()
            set_tenant(cur, ws.workspace_id, ws.user_id)
            ids[name] = rule_store.save(cur, ws.workspace_id, R.RuleSpec(name=name, saved_search_id=search, notify_on_filings=filings,
                                                                         recipients=[ws.user_id]), actor=ws.user_id)
    now = datetime.now(UTC)
    # The next week as it is published, in order.
    for n, item in enumerate(i for i in items if cut <= i.at < cut + timedelta(days=7)):
        ingest(settings, str(item.path), source=item.source, seen_at=now + timedelta(seconds=n), history=False)
    evaluate_pending(worker_conn)
    kinds = {name: dict(worker_conn.execute("""SELECT payload->>'change_type', count(*) FROM alert_event_messages
                                              WHERE alert_rule_id = %s GROUP BY 1""", (rule,)).fetchall()) for name, rule in ids.items()}
    assert kinds["filings"]["filed"] > 10 and kinds["filings"]["approved"] > 10
    assert "filed" not in kinds["approved only"] and kinds["approved only"]["approved"] == kinds["filings"]["approved"]
    # A filing alert came before its permit's approval alert.
    order = worker_conn.execute("""
        SELECT count(*) FROM alert_event_messages f JOIN alert_event_messages a ON a.payload->>'status_number' = f.payload->>'status_number'
        WHERE f.alert_rule_id = %(r)s AND a.alert_rule_id = %(r)s AND f.payload->>'change_type' = 'filed'
          AND a.payload->>'change_type' = 'approved' AND f.permit_change_id < a.permit_change_id""", {"r": ids["filings"]}).fetchone()[0]
    assert order > 0


def test_rrc_pending_prints_one_object_per_application_from_a_zip_whose_txt_is_a_zip(settings, demo_folder, tmp_path):
    stamp_dir = sorted((demo_folder / "pending").iterdir())[3]
    bundle = tmp_path / "set.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        for f in sorted(stamp_dir.iterdir()):
            if "drilling_permit" in f.name:  # the share's envelope: a .txt name holding a ZIP
                inner = tmp_path / "inner.zip"
                with zipfile.ZipFile(inner, "w") as iz:
                    iz.write(f, f.name)
                zf.write(inner, f.name)
            else:
                zf.write(f, f.name.replace(f"_{stamp_dir.name}", ""))  # names without their stamp
    out = subprocess.run([sys.executable, "-m", "services", "rrc", "pending", str(bundle)], capture_output=True, text=True,
                         env=env_for(settings), check=True).stdout.splitlines()
    objs = [json.loads(line) for line in out]
    expected = sum(1 for line in (stamp_dir / f"dp_drilling_permit_pending_{stamp_dir.name}.txt").read_text().splitlines()
                   if line.startswith('"'))
    assert len(objs) == expected > 0
    first = objs[0]
    assert {"status_number", "universal_doc_no", "operator_name", "lease_name", "filing_purpose", "wellbore_profile",
            "submitted_at", "surface_location", "location_source", "problems"} <= first.keys()
    assert first["set"] == stamp_dir.name

