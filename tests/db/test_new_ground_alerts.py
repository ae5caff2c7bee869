"""Alerts that follow operators into new ground, over real RRC daily files: a watchlist rule
that asks only for an operator's first permits in a county hears of exactly those."""

import pytest

from services.alerting import rule_store
from services.alerting import rules as R
from services.alerting.evaluate import evaluate_pending
from services.alerting.samples import sample_matches
from services.db.engine import set_tenant
from services.ingestion.pipeline import ingest
from services.operators import watchlists
from services.tenancy import admin
from tests.conftest import news, rules_predate_files, sample


def test_a_new_ground_rule_hears_only_of_a_watched_operators_first_permit_in_a_county(settings, app_conn, worker_conn):
    for day in ("2026-07-01", "2026-07-03", "2026-07-09", "2026-07-10"):
        ingest(settings, str(sample(day)), history=True)
    ws = admin.create_workspace(app_conn, "Scouts", "scout@example.com", verified=True)
    operators = [r[0] for r in app_conn.execute("SELECT id FROM operators WHERE merged_into IS NULL").fetchall()]
    search = admin.create_saved_search(app_conn, ws.workspace_id, "everything", {"statuses": ["approved"]})
    ids = {}
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        wl = watchlists.save(cur, ws.workspace_id, ws.user_id, "everyone", operators)
        for name, new_ground in (("every permit", False), ("new ground", True)):
            ids[name] = rule_store.save(cur, ws.workspace_id, R.RuleSpec(name=name, watchlist_id=wl, new_acreage_only=new_ground,
                                                                         recipients=[ws.user_id]), actor=ws.user_id)
        with pytest.raises(R.RuleError, match="pick a watchlist"):
            rule_store.save(cur, ws.workspace_id, R.RuleSpec(name="x", saved_search_id=search, new_acreage_only=True), actor=ws.user_id)
    app_conn.commit()
    rules_predate_files(app_conn)
    news(settings, "2026-07-27")
    evaluate_pending(worker_conn)
    got = {name: {r[0] for r in worker_conn.execute("SELECT permit_change_id FROM alert_events WHERE alert_rule_id = %s",
                                                    (rule,)).fetchall()} for name, rule in ids.items()}
    # By hand: among the permits the plain rule heard of, those whose operator had no permit in
    # that county issued in the 365 days before this one's issue day.
    expected = {r[0] for r in worker_conn.execute("""
        SELECT c.id FROM permit_changes c JOIN permit_versions v ON v.id = c.permit_version_id AND v.source_seen_at = c.source_seen_at
        WHERE c.id = ANY(%s) AND c.change_type IN ('new', 'approved') AND NOT EXISTS (
          SELECT 1 FROM permits_current o WHERE o.operator_id = v.operator_id AND o.county_code = v.county_code
            AND coalesce(o.issued_date, o.filed_date) >= v.issued_date - 365 AND coalesce(o.issued_date, o.filed_date) < v.issued_date)""",
        (list(got["every permit"]),)).fetchall()}
    assert got["new ground"] == expected
    assert 0 < len(expected) < len(got["every permit"])
    # The sample alerts a rule shows when it is made apply new ground the same way.
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        (_, plain), (new_rows, new_total) = (sample_matches(cur, ids[n], limit=2000) for n in ("every permit", "new ground"))
        assert 0 < new_total < plain and len(new_rows) == new_total
        earlier = cur.execute("""SELECT count(*) FROM permits_current c JOIN permits_current o ON o.operator_id = c.operator_id
                                 AND o.county_code = c.county_code AND o.status_number <> c.status_number
                                 AND coalesce(o.issued_date, o.filed_date) >= coalesce(c.issued_date, c.filed_date) - 365
                                 AND coalesce(o.issued_date, o.filed_date) < coalesce(c.issued_date, c.filed_date)
                                 WHERE c.permit_id = ANY(%s)""", ([r["permit_id"] for r in new_rows],)).fetchone()[0]
        assert earlier == 0
