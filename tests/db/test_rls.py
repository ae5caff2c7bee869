"""Row Level Security, proved through the application role with hand-written SQL:
workspace A can neither read nor write workspace B's rows, and no workspace context
sees nothing."""

import uuid

import psycopg
import pytest

WORKSPACE_TABLES = ("workspaces", "workspace_members", "aois", "saved_searches", "operator_watchlists",
                    "operator_watchlist_items", "alert_rules", "alert_events", "notification_outbox",
                    "notifications", "export_jobs", "api_keys", "api_usage_daily", "audit_log", "operator_groups",
                    "operator_group_members", "operator_watchlist_groups")
SQUARE = "ST_Multi(ST_MakeEnvelope(-102.2, 31.8, -102.0, 32.0, 4326))"


def _as(conn, workspace, user=None):
    conn.execute("SELECT set_config('app.workspace_id', %s, true), set_config('app.user_id', %s, true)",
                 (str(workspace) if workspace else "", str(user) if user else ""))


def _seed(conn, ws, user, operator):
    """Everything a workspace owns, inserted through the app role inside its own context."""
    _as(conn, ws, user)
    conn.execute("INSERT INTO workspaces (id, name) VALUES (%s, %s)", (ws, f"ws {ws}"))
    conn.execute("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'owner')", (ws, user))
    aoi = conn.execute(f"INSERT INTO aois (workspace_id, name, geom, created_by) VALUES (%s, 'lease', {SQUARE}, %s) RETURNING id",
                       (ws, user)).fetchone()[0]
    search = conn.execute("INSERT INTO saved_searches (workspace_id, name, filters) VALUES (%s, 's', '{}') RETURNING id",
                          (ws,)).fetchone()[0]
    wl = conn.execute("INSERT INTO operator_watchlists (workspace_id, name) VALUES (%s, 'rivals') RETURNING id", (ws,)).fetchone()[0]
    conn.execute("INSERT INTO operator_watchlist_items (watchlist_id, operator_id, workspace_id) VALUES (%s, %s, %s)", (wl, operator, ws))
    rule = conn.execute("INSERT INTO alert_rules (workspace_id, name, aoi_id, saved_search_id) VALUES (%s, 'r', %s, %s) RETURNING id",
                        (ws, aoi, search)).fetchone()[0]
    conn.execute("INSERT INTO notifications (workspace_id, user_id, title) VALUES (%s, %s, 'hello')", (ws, user))
    conn.execute("INSERT INTO export_jobs (workspace_id, created_by, job_type, format, params) VALUES (%s, %s, 'permits', 'csv', '{}')", (ws, user))
    key = conn.execute("INSERT INTO api_keys (workspace_id, name, key_prefix, key_hash, scopes) VALUES (%s, 'k', 'pw_', %s, '{permits:read}') RETURNING id",
                       (ws, uuid.uuid4().hex)).fetchone()[0]
    conn.execute("INSERT INTO api_usage_daily (workspace_id, api_key_id, day, requests, errors) VALUES (%s, %s, current_date, 1, 0)",
                 (ws, key))
    conn.execute("INSERT INTO audit_log (workspace_id, actor_user_id, action) VALUES (%s, %s, 'alert_rule.created')", (ws, user))
    group = conn.execute("INSERT INTO operator_groups (workspace_id, name) VALUES (%s, 'Competitor X') RETURNING id", (ws,)).fetchone()[0]
    conn.execute("INSERT INTO operator_group_members (group_id, operator_id, workspace_id) VALUES (%s, %s, %s)", (group, operator, ws))
    conn.execute("INSERT INTO operator_watchlist_groups (watchlist_id, group_id, workspace_id) VALUES (%s, %s, %s)", (wl, group, ws))
    return {"aoi": aoi, "rule": rule}


@pytest.fixture
def two_workspaces(settings, owner_conn):
    users = [owner_conn.execute("INSERT INTO users (email, password_hash) VALUES (%s, 'x') RETURNING id",
                                (f"{n}@example.com",)).fetchone()[0] for n in ("a", "b")]
    operator = owner_conn.execute("INSERT INTO operators (p5_number, canonical_name) VALUES ('123456', 'OP') RETURNING id").fetchone()[0]
    permit = owner_conn.execute("INSERT INTO permits (source, source_permit_no, first_seen_at) VALUES ('rrc', '0900001', now()) RETURNING id").fetchone()[0]
    owner_conn.commit()
    a, b = uuid.uuid4(), uuid.uuid4()
    ids = {}
    with psycopg.connect(settings.database_url) as conn:
        for ws, user in ((a, users[0]), (b, users[1])):
            with conn.transaction():
                ids[ws] = _seed(conn, ws, user, operator)
                event = conn.execute("INSERT INTO alert_events (workspace_id, alert_rule_id, permit_id, permit_version_id) "
                                     "VALUES (%s, %s, %s, %s) RETURNING id",
                                     (ws, ids[ws]["rule"], permit, uuid.uuid4())).fetchone()[0]
                conn.execute("INSERT INTO notification_outbox (workspace_id, alert_event_id, channel) VALUES (%s, %s, 'in_app')", (ws, event))
    return a, b, ids


def test_app_role_is_not_superuser_owner_or_bypassrls(app_conn):
    row = app_conn.execute("SELECT rolsuper, rolbypassrls, current_user FROM pg_roles WHERE rolname = current_user").fetchone()
    assert row == (False, False, "permitwatch_app")
    owned = app_conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user").fetchone()
    assert owned == (0,)


def test_rls_is_enabled_and_forced_on_every_workspace_table(app_conn):
    rows = dict(app_conn.execute("SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
                                 "WHERE relname = ANY(%s)", (list(WORKSPACE_TABLES),)).fetchall())
    assert rows == {t: True for t in WORKSPACE_TABLES}


def test_workspace_a_sees_only_its_own_rows(settings, two_workspaces):
    a, b, _ = two_workspaces
    with psycopg.connect(settings.database_url) as conn, conn.transaction():
        _as(conn, a)
        for table in WORKSPACE_TABLES:
            key = "id" if table == "workspaces" else "workspace_id"
            seen = {r[0] for r in conn.execute(f"SELECT {key} FROM {table}")}
            assert seen == {a}, table
        # Even a query that names B's id finds nothing.
        assert conn.execute("SELECT count(*) FROM aois WHERE workspace_id = %s", (b,)).fetchone() == (0,)


def test_workspace_a_cannot_change_or_delete_b_rows(settings, two_workspaces, owner_conn):
    a, b, ids = two_workspaces
    with psycopg.connect(settings.database_url) as conn, conn.transaction():
        _as(conn, a)
        assert conn.execute("UPDATE aois SET name = 'stolen' WHERE id = %s", (ids[b]["aoi"],)).rowcount == 0
        assert conn.execute("DELETE FROM alert_rules WHERE id = %s", (ids[b]["rule"],)).rowcount == 0
        assert conn.execute("UPDATE aois SET workspace_id = workspace_id").rowcount == 1  # only its own
    assert owner_conn.execute("SELECT name FROM aois WHERE id = %s", (ids[b]["aoi"],)).fetchone() == ("lease",)
    assert owner_conn.execute("SELECT count(*) FROM alert_rules WHERE id = %s", (ids[b]["rule"],)).fetchone() == (1,)


@pytest.mark.parametrize("statement", [
    f"INSERT INTO aois (workspace_id, name, geom) VALUES (%(b)s, 'planted', {SQUARE})",
    "INSERT INTO notifications (workspace_id, user_id, title) SELECT %(b)s, user_id, 'x' FROM workspace_members",
    "UPDATE aois SET workspace_id = %(b)s",
    "INSERT INTO audit_log (workspace_id, action) VALUES (%(b)s, 'forged')",
])
def test_workspace_a_cannot_write_rows_into_b(settings, two_workspaces, statement):
    a, b, _ = two_workspaces
    with psycopg.connect(settings.database_url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            with conn.transaction():
                _as(conn, a)
                conn.execute(statement, {"b": b})


def test_no_workspace_context_sees_nothing(settings, two_workspaces):
    with psycopg.connect(settings.database_url) as conn:
        for table in WORKSPACE_TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        conn.rollback()
        with conn.transaction():
            _as(conn, None)
            assert conn.execute("SELECT count(*) FROM aois").fetchone() == (0,)


def test_context_is_transaction_local(settings, two_workspaces):
    a, _, _ = two_workspaces
    with psycopg.connect(settings.database_url) as conn:
        with conn.transaction():
            _as(conn, a)
            assert conn.execute("SELECT count(*) FROM aois").fetchone() == (1,)
        # Same pooled connection, next transaction: the workspace is gone.
        assert conn.execute("SELECT count(*) FROM aois").fetchone() == (0,)


def test_app_role_cannot_rewrite_history(app_conn):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute("DELETE FROM permit_raw_records")
    app_conn.rollback()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute("UPDATE audit_log SET action = 'x'")


def test_an_alert_event_cannot_sit_in_another_workspace_than_its_rule(settings, two_workspaces, worker_conn):
    # The evaluator's role writes events for every workspace: the key, not RLS, keeps an
    # event beside its rule, so workspace B never reads an alert about A's area.
    a, b, ids = two_workspaces
    permit = worker_conn.execute("SELECT permit_id FROM alert_events LIMIT 1").fetchone()[0]
    insert = ("INSERT INTO alert_events (workspace_id, alert_rule_id, permit_id, permit_version_id, permit_change_id) "
              "VALUES (%s, %s, %s, gen_random_uuid(), NULL)")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        worker_conn.execute(insert, (b, ids[a]["rule"], permit))
    worker_conn.rollback()
    worker_conn.execute(insert, (a, ids[a]["rule"], permit))  # beside its rule: accepted
    worker_conn.rollback()
