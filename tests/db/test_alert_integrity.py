"""Alert events and outbox rows keep the integrity their foreign keys gave them, now checked
once per statement (migration 0026): parents must exist and agree on the workspace, parents'
deletions take their children along, keys do not change, and a second insert of the same
rule and change is one event."""

import uuid

import psycopg
import pytest

from services.tenancy import admin

ENVELOPE = "ST_Multi(ST_MakeEnvelope(-102.3, 31.9, -102.0, 32.1, 4326))"


def _rule(conn, ws) -> uuid.UUID:
    area = conn.execute(f"INSERT INTO aois (workspace_id, name, geom) VALUES (%s, 'a', {ENVELOPE}) RETURNING id", (ws,)).fetchone()[0]
    return conn.execute("INSERT INTO alert_rules (workspace_id, name, aoi_id) VALUES (%s, 'r', %s) RETURNING id", (ws, area)).fetchone()[0]


@pytest.fixture
def two(app_conn, owner_conn):
    a = admin.create_workspace(app_conn, "Acme Land", "a@example.com", verified=True)
    b = admin.create_workspace(app_conn, "Basin Minerals", "b@example.com", verified=True)
    permit = owner_conn.execute("INSERT INTO permits (source, source_permit_no, first_seen_at) VALUES ('rrc', '0916848', now()) "
                                "RETURNING id").fetchone()[0]
    rules = {ws.workspace_id: _rule(owner_conn, ws.workspace_id) for ws in (a, b)}
    owner_conn.commit()
    return a, b, permit, rules


def _event(conn, ws, rule, permit, change=None) -> uuid.UUID:
    return conn.execute("INSERT INTO alert_events (workspace_id, alert_rule_id, permit_id, permit_version_id, permit_change_id) "
                        "VALUES (%s, %s, %s, gen_random_uuid(), %s) RETURNING id", (ws, rule, permit, change)).fetchone()[0]


def _outbox(conn, ws, event, user, rule=None) -> int:
    return conn.execute("INSERT INTO notification_outbox (workspace_id, alert_event_id, alert_rule_id, user_id, channel) "
                        "VALUES (%s, %s, %s, %s, 'in_app') RETURNING id", (ws, event, rule, user)).fetchone()[0]


def test_an_event_whose_rule_belongs_to_another_workspace_is_refused(two, worker_conn):
    a, b, permit, rules = two
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="does not exist in workspace"):
        _event(worker_conn, a.workspace_id, rules[b.workspace_id], permit)
    worker_conn.rollback()
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        _event(worker_conn, a.workspace_id, uuid.uuid4(), permit)


def test_outbox_rows_must_name_an_existing_user_and_an_event_of_their_own_workspace(two, worker_conn):
    a, b, permit, rules = two
    event = _event(worker_conn, a.workspace_id, rules[a.workspace_id], permit)
    worker_conn.commit()
    bad = [(b.workspace_id, event, b.user_id, None),                            # event of another workspace
           (a.workspace_id, event, uuid.uuid4(), None),                         # no such user
           (a.workspace_id, uuid.uuid4(), a.user_id, None),                     # no such event
           (a.workspace_id, event, a.user_id, rules[b.workspace_id]),           # rule of another workspace
           (uuid.uuid4(), None, a.user_id, None)]                               # no such workspace
    for row in bad:
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            _outbox(worker_conn, *row)
        worker_conn.rollback()
    assert _outbox(worker_conn, a.workspace_id, event, a.user_id, rules[a.workspace_id]) > 0


def test_the_same_rule_and_change_make_one_event(two, worker_conn):
    a, _, permit, rules = two
    change = worker_conn.execute("SELECT coalesce(max(id), 0) + 1 FROM permit_changes").fetchone()[0]
    _event(worker_conn, a.workspace_id, rules[a.workspace_id], permit, change)
    with pytest.raises(psycopg.errors.UniqueViolation):
        _event(worker_conn, a.workspace_id, rules[a.workspace_id], permit, change)


def test_deleting_a_rule_takes_its_events_and_their_deliveries_and_leaves_its_digests_without_it(two, worker_conn, owner_conn):
    a, b, permit, rules = two
    kept = _event(worker_conn, b.workspace_id, rules[b.workspace_id], permit)
    _outbox(worker_conn, b.workspace_id, kept, b.user_id, rules[b.workspace_id])
    gone = _event(worker_conn, a.workspace_id, rules[a.workspace_id], permit)
    _outbox(worker_conn, a.workspace_id, gone, a.user_id, rules[a.workspace_id])
    digest = worker_conn.execute("INSERT INTO notification_outbox (workspace_id, alert_rule_id, user_id, channel, kind, digest_key) "
                                 "VALUES (%s, %s, %s, 'email', 'digest', 'd1') RETURNING id",
                                 (a.workspace_id, rules[a.workspace_id], a.user_id)).fetchone()[0]
    worker_conn.commit()
    owner_conn.execute("DELETE FROM alert_rules WHERE id = %s", (rules[a.workspace_id],))
    owner_conn.commit()
    assert owner_conn.execute("SELECT id FROM alert_events").fetchall() == [(kept,)]
    rows = owner_conn.execute("SELECT id, alert_event_id, alert_rule_id FROM notification_outbox ORDER BY id").fetchall()
    assert [(r[1], r[2]) for r in rows] == [(kept, rules[b.workspace_id]), (None, None)]
    assert rows[1][0] == digest


def test_deleting_a_workspace_takes_its_events_and_every_outbox_row(two, worker_conn, owner_conn):
    a, b, permit, rules = two
    for ws in (a, b):
        event = _event(worker_conn, ws.workspace_id, rules[ws.workspace_id], permit)
        _outbox(worker_conn, ws.workspace_id, event, ws.user_id, rules[ws.workspace_id])
        worker_conn.execute("INSERT INTO notification_outbox (workspace_id, user_id, channel, kind) VALUES (%s, %s, 'email', 'report')",
                            (ws.workspace_id, ws.user_id))
    worker_conn.commit()
    owner_conn.execute("DELETE FROM workspaces WHERE id = %s", (a.workspace_id,))
    owner_conn.commit()
    assert {r[0] for r in owner_conn.execute("SELECT workspace_id FROM alert_events")} == {b.workspace_id}
    assert owner_conn.execute("SELECT workspace_id, count(*) FROM notification_outbox GROUP BY 1").fetchall() == [(b.workspace_id, 2)]


def test_a_user_with_deliveries_cannot_be_deleted_and_keys_do_not_move(two, worker_conn, owner_conn):
    a, b, permit, rules = two
    event = _event(worker_conn, a.workspace_id, rules[a.workspace_id], permit)
    row = _outbox(worker_conn, a.workspace_id, event, a.user_id, rules[a.workspace_id])
    worker_conn.commit()
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="disable the account"):
        owner_conn.execute("DELETE FROM users WHERE id = %s", (a.user_id,))
    owner_conn.rollback()
    for sql, args in (("UPDATE notification_outbox SET user_id = %s WHERE id = %s", (b.user_id, row)),
                      ("UPDATE alert_events SET workspace_id = %s WHERE id = %s", (b.workspace_id, event))):
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="do not change"):
            owner_conn.execute(sql, args)
        owner_conn.rollback()
    assert owner_conn.execute("UPDATE notification_outbox SET status = 'sent' WHERE id = %s", (row,)).rowcount == 1
