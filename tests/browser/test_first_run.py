"""The first ten minutes, in a real browser, on a desktop and on a phone: sign up, draw an
area on the map, set an alert, see its sample alerts, then a new RRC day arrives and the
alert shows up in the notification center and opens the permit."""

from __future__ import annotations

import re

import psycopg
import pytest
from playwright.sync_api import expect

from services.alerting.delivery import deliver_in_app
from services.alerting.evaluate import evaluate_pending
from tests.conftest import news, rules_predate_files

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
PAD = (-102.2721, 32.2884)  # 0916878 is here in the 2026-07-28 file; 0916848 arrives on 2026-07-31
SETTLE = """ms => Promise.race([new Promise(r => { permitwatchMap.once('idle', () => r(true)); permitwatchMap.triggerRepaint(); }),
                               new Promise(r => setTimeout(() => r(false), ms))])"""
TO_SCREEN = """c => { const m = permitwatchMap, r = m.getContainer().getBoundingClientRect(), p = m.project(c); return [r.left + p.x, r.top + p.y]; }"""
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _tap(page, x, y, touch: bool):
    if touch:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.click(x, y)


def first_run(page, base, settings, shots, touch: bool):
    news(settings, "2026-07-28")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(20_000)
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Never miss a drilling permit near your acreage.")).to_be_visible()
    expect(page.locator("#freshness")).to_have_text("RRC data as of July 28, 2026")
    shots(page, "0-landing")
    page.get_by_role("link", name="Start your 14-day free trial").click()
    expect(page.get_by_role("heading", name="Get permit alerts")).to_be_visible()
    page.get_by_label("E-mail").fill("new.landman@example.com")
    page.get_by_label("Password").fill("caliche road 2026")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_function("() => location.hash === '#/welcome' || !!document.querySelector('.form-error')")
    assert not page.locator(".form-error").count(), page.locator(".form-error").inner_text()
    assert errors == [], errors
    expect(page.get_by_role("heading", name="Where do you want to watch for permits?")).to_be_visible()
    page.wait_for_function("() => document.body.dataset.mapIdle === 'true'", timeout=30_000)
    shots(page, "1-welcome")

    page.evaluate("c => permitwatchMap.jumpTo({center: c, zoom: 12})", list(PAD))
    assert page.evaluate(SETTLE, 8000)
    page.wait_for_function("() => permitwatchMap.queryRenderedFeatures({layers: ['permit-points']}).length > 0", timeout=15_000)
    page.get_by_role("button", name="Draw an area").click()
    expect(page.locator("#drawbar")).to_be_visible()
    d = 0.012
    ring = [[PAD[0] - d, PAD[1] - d], [PAD[0] + d, PAD[1] - d], [PAD[0] + d, PAD[1] + d], [PAD[0] - d, PAD[1] + d]]
    pts = [page.evaluate(TO_SCREEN, c) for c in ring]
    for x, y in [*pts, pts[0]]:  # tapping the first corner again closes the ring
        _tap(page, x, y, touch)
        page.evaluate(SETTLE, 3000)
    expect(page.get_by_role("heading", name="Name it and add a buffer")).to_be_visible()
    page.get_by_role("textbox", name="Name").fill("Pad 49-28")
    page.get_by_role("spinbutton", name="Buffer").fill("0.5")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="How should we tell you?")).to_be_visible()
    page.get_by_role("button", name="Create my alert").click()
    expect(page.get_by_role("heading", name="You're set")).to_be_visible()
    samples = int(page.locator("#sample-count").inner_text())
    shown = {h.split("/")[-1] for h in page.locator("#samples a").evaluate_all("els => els.map(e => e.getAttribute('href'))")}
    shots(page, "2-alert-with-samples")
    with psycopg.connect(settings.database_owner_url) as conn:
        (buffer_m,), = conn.execute("SELECT buffer_meters FROM aois").fetchall()
        in_area = {r[0] for r in conn.execute("SELECT c.status_number FROM permits_current c JOIN aois a ON ST_Intersects(a.match_geom, c.geom)")}
        recent = {r[0] for r in conn.execute(
            "SELECT c.status_number FROM permits_current c JOIN aois a ON ST_Intersects(a.match_geom, c.geom) "
            "WHERE coalesce(c.issued_date, c.filed_date) >= (SELECT max(issued_date) FROM permits_current) - 90")}
    assert buffer_m == 805  # half a mile
    # the count is every match of the 90 days, the list its newest 20
    assert samples == len(recent) and len(shown) == min(20, len(recent)) and shown <= recent <= in_area and "0916878" in in_area
    # The next RRC day arrives; the evaluator and the in-app delivery run as in production.
    news(settings, "2026-07-31")
    with psycopg.connect(settings.worker_database_url) as w:
        rules_predate_files(w)
        assert evaluate_pending(w).events >= 1
        assert deliver_in_app(w) >= 1

    page.reload()
    badge = page.locator("#unread")
    expect(badge).to_be_visible()
    assert int(badge.inner_text()) >= 1
    page.get_by_role("link", name=re.compile(r"Notifications, \d+ unread")).click()
    note = page.locator("a[href='#/permit/0916848']").first
    expect(note).to_be_visible()
    shots(page, "3-inbox")
    note.click()
    expect(page.locator(".facts")).to_contain_text("0916848")
    expect(page.get_by_role("heading", name=re.compile("History"))).to_be_visible()
    page.evaluate(SETTLE, 5000)
    shots(page, "4-permit")
    # Clicking a permit on the map opens its page (the tile's feature id is its status number).
    hit = page.evaluate("""() => {
        const map = permitwatchMap, r = map.getContainer().getBoundingClientRect(), panel = document.querySelector('#panel').getBoundingClientRect();
        const visible = (p) => { const x = r.left + p.x, y = r.top + p.y;  // not under the side panel or bottom sheet
          return y > r.top + 60 && x > r.left + 60 && x < r.right - 60 && (panel.width >= r.width ? y < panel.top - 20 : y < r.bottom - 20); };
        const f = map.queryRenderedFeatures({layers: ['permit-points']}).find(g => visible(map.project(g.geometry.coordinates)));
        const p = map.project(f.geometry.coordinates);
        const under = map.queryRenderedFeatures([p.x, p.y], {layers: ['permit-points']}).map(g => String(g.id).padStart(7, '0'));
        return {x: r.left + p.x, y: r.top + p.y, ids: under}; }""")
    _tap(page, hit["x"], hit["y"], touch)
    page.wait_for_function("ids => ids.some(i => location.hash === '#/permit/' + i)", arg=hit["ids"])
    expect(page.locator(".facts")).to_contain_text(page.evaluate("() => location.hash.split('/').pop()"))
    assert errors == []


def test_first_run_on_a_desktop(page, live, shots, watch):
    base, settings = live
    first_run(page, base, settings, shots, touch=False)


@pytest.mark.browser_context_args(**PHONE)
def test_first_run_on_a_phone(page, live, shots, watch):
    base, settings = live
    assert page.viewport_size == {"width": 390, "height": 844}
    first_run(page, base, settings, shots, touch=True)
