"""Alert opens through the links alerts carry (a signed token, no session needed), in-app
opens from the inbox, and the product metrics for platform admins only."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from services.engagement.links import token


def _delivery(settings, owner) -> tuple[int, str]:
    """An alert delivered by text to the owner: (its outbox id, the permit's status number)."""
    ws = owner.get("/auth/me").json()["workspace_id"]
    user = owner.get("/auth/me").json()["user"]["id"]
    with psycopg.connect(settings.database_owner_url) as conn:
        permit = conn.execute("INSERT INTO permits (source, source_permit_no, first_seen_at) VALUES ('rrc', '0916848', now()) RETURNING id").fetchone()[0]
        area = conn.execute("INSERT INTO aois (workspace_id, name, geom) VALUES (%s, 'a', ST_Multi(ST_MakeEnvelope(-102.3, 31.9, -102.0, 32.1, 4326))) "
                            "RETURNING id", (ws,)).fetchone()[0]
        rule = conn.execute("INSERT INTO alert_rules (workspace_id, name, aoi_id) VALUES (%s, 'r', %s) RETURNING id", (ws, area)).fetchone()[0]
        event = conn.execute("INSERT INTO alert_events (workspace_id, alert_rule_id, permit_id, permit_version_id) "
                             "VALUES (%s, %s, %s, gen_random_uuid()) RETURNING id", (ws, rule, permit)).fetchone()[0]
        outbox = conn.execute("INSERT INTO notification_outbox (workspace_id, alert_event_id, user_id, channel, to_address, status) "
                              "VALUES (%s, %s, %s, 'sms', '+14325550100', 'sent') RETURNING id", (ws, event, user)).fetchone()[0]
        conn.commit()
    return outbox, "0916848"


def _opens(settings) -> list[tuple]:
    with psycopg.connect(settings.database_owner_url) as conn:
        return conn.execute("SELECT kind, channel, outbox_id FROM product_events ORDER BY id").fetchall()


def test_a_signed_link_counts_the_first_open_and_lands_on_the_permit(app, visitor, web_settings):
    owner = visitor()
    owner.signup("opens@example.com")
    outbox, number = _delivery(web_settings, owner)
    phone = TestClient(app)  # no session: a text opened on a phone
    t = token(web_settings.secret_key, outbox)
    r = phone.get(f"/p/{number}", params={"t": t}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/app#/permit/{number}"
    assert phone.get(f"/map?permit={number}&t={t}", follow_redirects=False).status_code == 303  # a second open: not counted again
    forged = phone.get(f"/permits/{number}", params={"t": token("not-our-secret", outbox)}, follow_redirects=False)
    assert forged.status_code == 303 and forged.headers["location"] == f"/app#/permit/{number}"
    assert phone.get(f"/p/{number}", params={"t": "x" * 41}, follow_redirects=False).status_code == 422
    assert phone.get("/p/09%0d%0aSet-Cookie:%20x=1", follow_redirects=False).status_code == 422  # no header injection
    assert _opens(web_settings) == [("alert_opened", "sms", outbox)]


def test_the_inbox_open_marks_read_and_counts_once(app, visitor, web_settings):
    owner = visitor()
    owner.signup("inbox@example.com")
    outbox, _ = _delivery(web_settings, owner)
    with psycopg.connect(web_settings.database_owner_url) as conn:
        note = conn.execute("""INSERT INTO notifications (workspace_id, user_id, alert_event_id, title)
                               SELECT workspace_id, user_id, alert_event_id, 'New permit' FROM notification_outbox WHERE id = %s
                               RETURNING id""", (outbox,)).fetchone()[0]
        conn.commit()
    first = owner.post(f"/v1/notifications/{note}/opened")
    assert first.status_code == 200 and first.json() == {"counted": True}
    assert owner.post(f"/v1/notifications/{note}/opened").json() == {"counted": False}
    assert owner.get("/v1/notifications/unread-count").json()["unread"] == 0
    other = visitor()
    other.signup("other@example.com")
    assert other.post(f"/v1/notifications/{note}/opened").status_code == 404
    assert [k for k, *_ in _opens(web_settings)] == ["alert_opened"]


def test_product_metrics_are_for_platform_admins_not_workspace_owners(app, visitor, web_settings):
    from services.tenancy.admin import set_platform_admin

    owner = visitor()
    owner.signup("owner@example.com")
    refused = owner.get("/v1/platform/metrics")
    assert refused.status_code == 403 and refused.json()["type"].endswith("/platform-admins-only")
    with psycopg.connect(web_settings.database_owner_url) as conn:
        assert set_platform_admin(conn, "owner@example.com", True)
        assert not set_platform_admin(conn, "nobody@example.com", True)
        from datetime import UTC, datetime

        from services.engagement.compute import refresh
        refresh(conn, datetime.now(UTC), weeks=1)
    assert owner.get("/auth/me").json()["user"]["platform_admin"] is True
    body = owner.get("/v1/platform/metrics").json()
    assert len(body["weeks"]) == 1 and body["weeks"][0]["signups"] == 1 and "North Star" in body["definitions"]["actionable_per_active_account"]


def test_the_landing_page_robots_and_sitemap_are_public_and_say_what_they_should(app, web_settings):
    visitor = TestClient(app)
    page = visitor.get("/")
    assert page.status_code == 200 and "<script" not in page.text
    for tag in ('<meta name="description"', '<meta property="og:title"', '<meta name="twitter:card"',
                '<link rel="canonical" href="https://permitwatch.example/">'):
        assert tag in page.text
    assert "RRC data: the first files are loading" in page.text and "$99" in page.text and "$249" in page.text
    robots = visitor.get("/robots.txt").text
    assert "Disallow: /v1/" in robots and "Sitemap: https://permitwatch.example/sitemap.xml" in robots
    sitemap = visitor.get("/sitemap.xml")
    assert sitemap.headers["content-type"].startswith("application/xml") and "<loc>https://permitwatch.example/</loc>" in sitemap.text
    assert "<script" in visitor.get("/app").text
