"""Migrations go up and down cleanly, and create every entity of the PRD data model."""

import psycopg

from services.db import migrate

PRD_TABLES = {
    "workspaces", "workspace_members", "users", "ingestion_runs", "permit_raw_records", "data_quality_checks",
    "operators", "operator_aliases", "permits", "permit_versions", "permits_current", "permit_changes", "wells",
    "aois", "saved_searches", "operator_watchlists", "operator_watchlist_items", "alert_rules", "alert_events",
    "notification_outbox", "notifications", "export_jobs", "api_keys", "api_usage_daily", "audit_log",
    "operator_stats_daily",
}


def _tables(url):
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'permit_versions_%'")}


def _columns(url, table):
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,))}


def test_down_to_base_and_up_again(settings):
    url = settings.database_owner_url
    assert PRD_TABLES <= _tables(url)
    migrate.downgrade(url, "base")
    assert _tables(url) - {"spatial_ref_sys", "alembic_version"} == set()
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert PRD_TABLES <= _tables(url)
    migrate.downgrade(url, "0001_core")
    assert "aois" not in _tables(url) and "permits" in _tables(url)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    migrate.downgrade(url, "0005_web_app")
    assert "managed_by" not in _columns(url, "workspace_quotas")
    migrate.downgrade(url, "0004_alerting")
    assert "user_sessions" not in _tables(url) and "alert_cursors" in _tables(url)
    migrate.downgrade(url, "0003_reference_counties")
    assert "alert_cursors" not in _tables(url) and "aois" in _tables(url)
    migrate.upgrade(url)
    assert {"alert_cursors", "user_sessions", "workspace_invitations"} <= _tables(url)
    assert {"sms_per_month", "email_per_month", "managed_by"} <= _columns(url, "workspace_quotas")


def test_geometry_columns_are_4326_with_gist_indexes(owner_conn):
    cols = owner_conn.execute("SELECT f_table_name, f_geometry_column, srid, type FROM geometry_columns "
                              "WHERE f_table_schema = 'public' AND f_table_name NOT LIKE 'permit_versions_%'").fetchall()
    assert {(t, c) for t, c, *_ in cols} >= {("permits_current", "geom"), ("permit_versions", "geom"), ("aois", "geom"),
                                            ("wells", "geom"), ("ref_counties", "geom")}
    # Everything is stored in EPSG:4326, but for the tiles' stored Web Mercator copy.
    assert {srid for t, c, srid, _ in cols if (t, c) != ("permits_current", "geom_3857")} == {4326}
    gist = {r[0] for r in owner_conn.execute("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'")}
    assert {"permits_current", "permit_versions", "aois", "wells", "ref_counties"} <= gist


def test_permit_versions_is_partitioned_by_time_with_on_demand_partitions(app_conn):
    kind = app_conn.execute("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'permit_versions'::regclass").fetchone()
    assert kind == ("r",)
    name = app_conn.execute("SELECT ensure_permit_version_partition('2026-08-06T00:00:00Z')").fetchone()[0]
    assert name == "permit_versions_2026_q3"
    assert app_conn.execute("SELECT ensure_permit_version_partition('2031-02-01T00:00:00Z')").fetchone()[0] == "permit_versions_2031_q1"
    again = app_conn.execute("SELECT ensure_permit_version_partition('2026-09-30T23:00:00Z')").fetchone()[0]
    assert again == name


def test_reference_counties_loaded(app_conn):
    n, with_geom, texas_km2 = app_conn.execute(
        "SELECT count(*), count(geom), (SELECT ST_Area(geom::geography) / 1e6 FROM ref_texas) FROM ref_counties").fetchone()
    assert (n, with_geom) == (277, 254)
    assert 680_000 < texas_km2 < 700_000  # Texas: about 695,000 km2 with inland water


def test_keys_pointing_at_outbox_rows_and_events_are_indexed(settings):
    """Outbox rows and alert events are deleted in tens of thousands (a rule's or a
    workspace's removal, retention); each deleted row has every key that points at it
    checked, so an unindexed one scans its whole table per row (63,200 deliveries: 370 s)."""
    with psycopg.connect(settings.database_owner_url) as conn:
        unindexed = conn.execute("""
          SELECT c.conrelid::regclass::text || '.' || a.attname
          FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          WHERE c.contype = 'f' AND c.confrelid IN ('notification_outbox'::regclass, 'alert_events'::regclass)
            AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
        """).fetchall()
        keys = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND "
                            "confrelid IN ('notification_outbox'::regclass, 'alert_events'::regclass)").fetchone()[0]
    assert keys >= 3  # digest members, an outbox row's event, a notification's event
    assert unindexed == []
