"""History is not news: backfills, first loads and old snapshots are recorded and notify
nobody; a rule hears only of changes published after it was made."""

from datetime import UTC, datetime, timedelta

from services.alerting import rule_store
from services.alerting import rules as R
from services.alerting.evaluate import evaluate_pending
from services.db.engine import set_tenant
from services.ingestion import backfill
from services.ingestion.freshness import is_history
from services.ingestion.pipeline import ingest
from services.tenancy import admin
from tests.conftest import sample

EVERY_CHANGE = list(R.NOTIFY_ON["all_changes"])


def _rule_on_everything(app_conn, ws):
    search = admin.create_saved_search(app_conn, ws.workspace_id, "approved", {"statuses": ["approved"]})
    spec = R.RuleSpec(name="everything", saved_search_id=search, recipients=[ws.user_id], notify_on="all_changes",
                      channels={"in_app": True, "email": True})
    with app_conn.transaction():
        cur = app_conn.cursor()
        set_tenant(cur, ws.workspace_id, ws.user_id)
        return rule_store.save(cur, ws.workspace_id, spec, actor=ws.user_id)


def _matching_changes(owner_conn, run_id) -> int:
    """The run's changes the rule asks for (every notified type, approved permits)."""
    return owner_conn.execute("""SELECT count(*) FROM permit_changes c JOIN permit_versions v ON v.id = c.permit_version_id
                                 WHERE c.ingestion_run_id = %s AND c.change_type = ANY(%s) AND v.status = 'approved'""",
                              (run_id, EVERY_CHANGE)).fetchone()[0]


def test_a_backfill_over_a_workspace_with_rules_sends_nothing_and_the_next_file_alerts_what_is_new(
        settings, app_conn, worker_conn, owner_conn):
    ws = admin.create_workspace(app_conn, "Acme", "landman@example.com", phone="+15125550100", verified=True)
    rule = _rule_on_everything(app_conn, ws)
    files = backfill.plan_files([sample(d) for d in ("2026-07-01", "2026-07-03", "2026-07-09")])
    results = backfill.run(settings, files, source="rrc_daf420")
    assert all(r.promoted for r in results) and sum(r.metrics.get("changes", 0) for r in results) > 1000
    after_backfill = evaluate_pending(worker_conn)
    assert after_backfill.changes > 1000 and after_backfill.events == 0
    assert worker_conn.execute("SELECT count(*) FROM notification_outbox").fetchone() == (0,)

    # The next day's file, published now (after the rule was made).
    news = ingest(settings, str(sample("2026-07-10")), seen_at=datetime.now(UTC))
    assert news.promoted and news.metrics["history"] is False
    evaluated = evaluate_pending(worker_conn)
    events = worker_conn.execute("""SELECT c.ingestion_run_id, count(*) FROM alert_events e JOIN permit_changes c ON c.id = e.permit_change_id
                                    WHERE e.alert_rule_id = %s GROUP BY 1""", (rule,)).fetchall()
    expected = _matching_changes(owner_conn, news.run_id)
    assert expected > 0 and events == [(news.run_id, expected)] and evaluated.events == expected


def test_a_rule_never_hears_of_changes_published_before_it_was_made(settings, app_conn, worker_conn):
    ingest(settings, str(sample("2026-07-09")), history=True)
    # Published an hour ago (fresh enough to be news), ingested before the rule exists.
    run = ingest(settings, str(sample("2026-07-10")), seen_at=datetime.now(UTC) - timedelta(hours=1))
    assert run.metrics["history"] is False and run.metrics["changes"] > 0
    ws = admin.create_workspace(app_conn, "Late", "late@example.com", verified=True)
    _rule_on_everything(app_conn, ws)
    result = evaluate_pending(worker_conn)
    assert result.changes > run.metrics["changes"] and result.matches == 0 and result.events == 0


def test_the_first_load_of_a_source_is_history_however_fresh(settings):
    first = ingest(settings, str(sample("2026-07-09")), seen_at=datetime.now(UTC) - timedelta(minutes=5))
    assert first.metrics["history"] is True  # everything in a first load is old to the user


def test_a_snapshot_published_long_ago_is_history(settings):
    ingest(settings, str(sample("2026-07-09")))
    old = ingest(settings, str(sample("2026-07-10")))  # its name says 2026-07-10: months ago
    assert old.promoted and old.metrics["history"] is True


def test_history_is_decided_by_first_load_and_publication_age():
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    day = timedelta(hours=36)
    assert is_history(first_load=True, published_at=now, now=now, after=day)
    assert not is_history(first_load=False, published_at=now - timedelta(hours=35), now=now, after=day)
    assert is_history(first_load=False, published_at=now - timedelta(hours=37), now=now, after=day)
