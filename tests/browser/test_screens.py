"""Every screen in real Chromium, on a desktop and on a phone: the permit list with the
search box, filters and a saved search; area imports (GeoJSON, KML, zipped shapefile and
a bad file), rename, re-buffer, reshape and delete; alert rules with a watchlist, quiet
hours, a digest and a test send; account settings with phone verification, then an SMS
alert that honours the quiet hours set in the browser; the inbox with delivery receipts;
the Team tab with an invitation accepted in a second browser. Any console error, failed
request or server error fails the test (the `watch` fixture)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import psycopg
import pytest
import requests
import shapefile
from playwright.sync_api import expect
from pypdf import PdfReader

from services.alerting import webhooks
from services.alerting.delivery import deliver_due, providers_from
from services.alerting.evaluate import evaluate_pending
from services.alerting.receipts import Receipt
from tests.api.conftest import link_token
from tests.conftest import env_for, news, rules_predate_files

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
PASSWORD = "caliche road 2026"
ANDREWS = (-102.272228, 32.288362)  # permit 0916878 is here in the 2026-07-28 file


def signed_in(page, base: str, email: str = "ann@example.com", workspace: str = "Acme") -> requests.Session:
    """An account made over the API (its cookies handed to the browser), as sign-up would."""
    http = requests.Session()
    http.get(f"{base}/auth/me")
    r = http.post(f"{base}/auth/signup", json={"email": email, "password": PASSWORD, "workspace_name": workspace},
                  headers={"X-CSRF-Token": http.cookies["pw_csrf"]})
    assert r.status_code == 201, r.text
    host = base.split("//")[1].split(":")[0]
    page.context.add_cookies([{"name": c.name, "value": c.value, "domain": host, "path": "/"} for c in http.cookies])
    return http


def api(http: requests.Session, base: str, method: str, path: str, **kw):
    r = http.request(method, f"{base}{path}", headers={"X-CSRF-Token": http.cookies["pw_csrf"]}, **kw)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


def _box(lon, lat, d=0.02):
    return {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]}


def _open(page, base, hash_: str):
    page.goto(f"{base}/app#{hash_}")
    page.wait_for_function("() => document.body.dataset.mapIdle === 'true'", timeout=30_000)


def rows_text(page) -> list[str]:
    return page.locator("#results li").all_inner_texts()


def _pick_operator(page, field, typed: str):
    """Type part of a name, then take the first suggestion, as a person picks from the list."""
    field.fill(typed)
    expect(page.locator("#op-list option").first).to_be_attached()
    field.fill(page.locator("#op-list option").first.get_attribute("value"))


# ---- permits ---------------------------------------------------------------------------------
def permits_flow(page, base, settings, shots):
    news(settings, "2026-07-28")
    signed_in(page, base)
    _open(page, base, "/permits")
    count = page.locator("#count")
    expect(count).to_contain_text(re.compile(r"^[\d,]+ permits, showing 50$"))
    total = int(count.inner_text().split()[0].replace(",", ""))
    page.get_by_role("searchbox", name="Find a permit").fill("0916878")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(count).to_have_text("1 permit")
    expect(page.locator("#results")).to_contain_text("Status #0916878")
    page.get_by_role("searchbox", name="Find a permit").fill("")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(count).to_contain_text(f"{total:,} permits")
    page.locator("#filters-box summary").click()
    # each filter alone keeps only permits that show it (the daily file holds approved permits
    # only, so the status filter keeps them all)
    for name, choose, shown, narrows in (
            ("select[name=districts]", lambda f: f.select_option("08"), "District 08", True),
            ("select[name=statuses]", lambda f: f.select_option("approved"), "approved", False),
            ("select[name=filing_purposes]", lambda f: f.select_option(label="New Drill"), "New Drill", True),
            ("input[name=operator_q]", lambda f: _pick_operator(page, f, "COG OPERATING"), "COG OPERATING LLC", True)):
        field = page.locator("#filters").locator(name)
        choose(field)
        page.get_by_role("button", name="Apply filters").click()
        if narrows:
            expect(count).not_to_contain_text(f"{total:,} permits")
        else:
            expect(page.locator("#results li").first).to_contain_text(shown)
        texts = rows_text(page)
        assert texts and all(shown in t for t in texts), (name, texts[:3])
        page.get_by_role("button", name="Clear").click()
        page.locator("#filters-box summary").click()
    page.get_by_label("Issued from").fill("2026-07-20")
    page.locator("input[name=issued_to]").fill("2026-07-21")
    page.get_by_role("button", name="Apply filters").click()
    expect(count).not_to_contain_text(f"{total:,} permits")
    assert all(re.search(r"issued 7/2[01]/2026", t) for t in rows_text(page))
    page.get_by_role("button", name="Clear").click()
    page.locator("#filters-box summary").click()
    page.get_by_label("County").select_option(label="Andrews")
    page.get_by_label("Wellbore").select_option("horizontal")
    page.get_by_label("Depth from (ft)").fill("9000")
    page.get_by_role("button", name="Apply filters").click()
    expect(count).not_to_contain_text(f"{total:,} permits")
    rows = page.locator("#results li")
    expect(rows.first).to_contain_text("Andrews County")
    shots(page, "permits-filtered")
    page.get_by_role("button", name="Save search…").click()
    page.locator("#save-form").get_by_label("Name").fill("Andrews horizontals")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#toast")).to_contain_text("Search saved")
    page.get_by_role("tab", name="Alerts").click()
    saved = page.locator("li", has_text="Andrews horizontals")
    expect(saved).to_contain_text("in Andrews County; horizontal wells; at least 9,000 ft deep")
    assert "{" not in saved.inner_text() and "003" not in saved.inner_text()
    shots(page, "saved-search")
    saved.get_by_role("button", name="Open").click()
    expect(count).to_contain_text("permit")
    expect(page.locator("#results li").first).to_contain_text("Andrews County")


def test_permit_list_search_box_filters_and_a_saved_search_on_a_desktop(page, live, shots, watch):
    permits_flow(page, *live, shots)


@pytest.mark.browser_context_args(**PHONE)
def test_permit_list_search_box_filters_and_a_saved_search_on_a_phone(page, live, shots, watch):
    permits_flow(page, *live, shots)


# ---- areas -----------------------------------------------------------------------------------
def _shapefile_zip() -> bytes:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    w = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON)
    w.field("NAME", "C")
    w.poly([[[-102.3, 32.2], [-102.3, 32.3], [-102.25, 32.3], [-102.25, 32.2], [-102.3, 32.2]]])
    w.record("Lease 7")
    w.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for ext, buf in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            z.writestr(f"leases.{ext}", buf.getvalue())
        z.writestr("leases.prj", 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]]')
    return out.getvalue()


KML = """<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>North pad</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>-102.2,32.3 -102.1,32.3 -102.1,32.4 -102.2,32.4 -102.2,32.3</coordinates>
</LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"""


def areas_flow(page, base, settings, shots, watch):
    signed_in(page, base)
    _open(page, base, "/areas")
    geojson = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Section 12"}, "geometry": _box(*ANDREWS)}]}
    files = [("section12.geojson", json.dumps(geojson).encode(), "GeoJSON file"), ("north.kml", KML.encode(), "KML file"),
             ("leases.zip", _shapefile_zip(), "shapefile")]
    for name, data, kind in files:
        page.get_by_label("Import GeoJSON, KML or zipped shapefile").set_input_files({"name": name, "mimeType": "application/octet-stream", "buffer": data})
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.locator("#toast")).to_contain_text(f"Imported 1 area from the {kind}.")
    listed = page.locator("#aoi-list")
    for area, words in (("Section 12", "from a GeoJSON file"), ("North pad", "from a KML file"), ("Lease 7", "from a shapefile")):
        expect(listed.locator("li", has_text=area)).to_contain_text(words)
    watch.expect(r"status of 422")  # the browser's own log line for the refused file below
    page.get_by_label("Import GeoJSON, KML or zipped shapefile").set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"})
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-form .form-error")).to_contain_text("must be GeoJSON (.geojson), KML (.kml) or a zipped shapefile")
    shots(page, "areas-imported")
    # rename and re-buffer
    row = listed.locator("li", has_text="Section 12")
    row.get_by_role("button", name="Edit").click()
    page.locator("#edit-form").get_by_label("Name").fill("Section 12 (Ford lease)")
    page.locator("#edit-form").get_by_label("Buffer").fill("0.5")
    page.locator("#edit-form").get_by_label("Unit").select_option("mi")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(listed.locator("li", has_text="Section 12 (Ford lease)")).to_contain_text("0.5 mi buffer")
    # reshape: the corners are draggable; saving stores the shape as edited
    listed.locator("li", has_text="North pad").get_by_role("button", name="Reshape").click()
    expect(page.locator("#drawbar")).to_be_visible()
    page.get_by_role("button", name="Save shape").click()
    expect(page.locator("#toast")).to_contain_text("Shape saved")
    # delete (the page asks first)
    page.once("dialog", lambda d: d.accept())
    listed.locator("li", has_text="Lease 7").get_by_role("button", name="Delete").click()
    expect(listed.locator("li", has_text="Lease 7")).to_have_count(0)
    shots(page, "areas-edited")
    with psycopg.connect(settings.database_owner_url) as conn:
        actions = [a for (a,) in conn.execute("SELECT action FROM audit_log WHERE action LIKE 'aoi.%' ORDER BY id")]
    assert actions.count("aoi.created") == 3 and "aoi.updated" in actions and actions[-1] == "aoi.deleted"


def test_area_imports_edits_and_deletes_on_a_desktop(page, live, shots, watch):
    areas_flow(page, *live, shots, watch)


@pytest.mark.browser_context_args(**PHONE)
def test_area_imports_edits_and_deletes_on_a_phone(page, live, shots, watch):
    areas_flow(page, *live, shots, watch)


# ---- alert rules -------------------------------------------------------------------------------
def rules_flow(page, base, settings, shots):
    news(settings, "2026-07-28")
    http = signed_in(page, base)
    _open(page, base, "/alerts")
    form = page.locator("#watch-form")
    form.get_by_label("New watchlist name").fill("Competitors")
    op = form.get_by_label("Add operator")
    op.fill("COG OPER")
    expect(page.locator("#watch-ops option").first).to_be_attached()
    op.fill(page.locator("#watch-ops option").first.get_attribute("value"))
    expect(page.locator("#watch-picked")).to_contain_text("COG OPERATING")
    form.get_by_role("button", name="Create watchlist").click()
    expect(page.locator("li", has_text="Competitors")).to_contain_text("COG OPERATING LLC")
    rule = page.locator("#rule-form")
    page.locator("details", has=rule).evaluate("d => d.open = true")
    rule.get_by_label("Name", exact=True).fill("Competitor filings")
    rule.locator("select[name=watchlist_id]").select_option(label="Competitors")
    rule.locator("select[name=notify_on]").select_option("new_and_amendments")
    expect(rule.locator("input[name=sms]")).to_be_disabled()  # nobody has a verified phone yet
    rule.get_by_label("From", exact=True).fill("21:00")
    rule.get_by_label("to", exact=True).fill("06:30")
    rule.locator("select[name=quiet_days]").select_option("weekdays")
    rule.locator("select[name=digest_mode]").select_option("daily")
    rule.get_by_label("at", exact=True).fill("07:15")
    rule.get_by_role("button", name="Create alert").click()
    made = page.locator("#rules li", has_text="Competitor filings")
    expect(made).to_contain_text("watchlist “Competitors”")
    expect(made).to_contain_text("quiet 21:00–06:30 weekdays (Chicago time)")
    expect(made).to_contain_text("daily digest at 07:15")
    stored = api(http, base, "GET", "/v1/alert-rules")[0]
    assert stored["quiet_hours"] == {"timezone": "America/Chicago", "windows": [{"start": "21:00", "end": "06:30", "days": [0, 1, 2, 3, 4]}]}
    made.get_by_role("button", name="Send me a test alert").click()
    expect(page.locator("#toast")).to_contain_text("Test alert sent: your inbox")
    shots(page, "alert-rule")
    page.get_by_role("tab", name="Inbox").click()
    expect(page.locator("#notes li").first).to_contain_text("test alert")


def test_alert_rule_with_a_watchlist_quiet_hours_a_digest_and_a_test_send_on_a_desktop(page, live, shots, watch):
    rules_flow(page, *live, shots)


@pytest.mark.browser_context_args(**PHONE)
def test_alert_rule_with_a_watchlist_quiet_hours_a_digest_and_a_test_send_on_a_phone(page, live, shots, watch):
    rules_flow(page, *live, shots)


# ---- account, SMS, quiet hours, receipts ---------------------------------------------------------
def _texted_code(settings, phone: str) -> str:
    texts = sorted(settings.sms_folder.glob("*.txt"), key=lambda p: p.stat().st_mtime)
    return re.search(r"\b(\d{6})\b", next(t.read_text() for t in reversed(texts) if f"To: {phone}" in t.read_text())).group(1)


def sms_rule(page, name: str, quiet_from_h: int, quiet_to_h: int) -> tuple[str, str]:
    """An SMS rule on the area "Andrews pad", made in the browser, with quiet hours from
    QUIET_FROM_H to QUIET_TO_H hours from now (Chicago time). Returns them as HH:MM."""
    now = datetime.now(ZoneInfo("America/Chicago"))
    start, end = (now + timedelta(hours=quiet_from_h)).strftime("%H:%M"), (now + timedelta(hours=quiet_to_h)).strftime("%H:%M")
    rule = page.locator("#rule-form")
    rule.get_by_label("Name", exact=True).fill(name)
    rule.locator("select[name=aoi_id]").select_option(label="Andrews pad")
    rule.locator("input[name=sms]").check()
    rule.get_by_label("From", exact=True).fill(start)
    rule.get_by_label("to", exact=True).fill(end)
    rule.get_by_role("button", name="Create alert").click()
    expect(page.locator("#rules li", has_text=name)).to_contain_text(f"quiet {start}–{end} every day")
    return start, end


def next_day_delivered(settings) -> list[tuple]:
    """The next RRC day arrives; the evaluator and delivery run as in production. The SMS rows sent."""
    news(settings, "2026-07-31")
    with psycopg.connect(settings.worker_database_url) as w:
        rules_predate_files(w)
        assert evaluate_pending(w).events >= 1
        deliver_due(w, settings, providers_from(settings))
        return w.execute("SELECT id, provider_message_id FROM notification_outbox WHERE channel = 'sms' AND status = 'sent'").fetchall()


def sms_flow(page, base, settings, shots):
    news(settings, "2026-07-28")
    http = signed_in(page, base)
    api(http, base, "POST", "/v1/aois", json={"name": "Andrews pad", "geometry": _box(*ANDREWS, d=0.2)})
    _open(page, base, "/account")
    expect(page.get_by_role("heading", name="Account settings")).to_be_visible()
    page.get_by_label("Mobile number").fill("(512) 555-0100")
    page.get_by_role("button", name="Add number").click()
    expect(page.locator("#toast")).to_contain_text("We texted a code to (512) 555-0100")
    page.get_by_label(re.compile("Code texted to")).fill(_texted_code(settings, "+15125550100"))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#phone-form")).to_contain_text("(512) 555-0100 · verified")
    shots(page, "account")
    # An SMS rule whose quiet hours start two hours from now: the next day's alerts go now.
    page.get_by_role("tab", name="Alerts").click()
    sms_rule(page, "Andrews by text", 2, 3)
    sms = next_day_delivered(settings)
    texts = [p.read_text() for p in settings.sms_folder.glob("permitwatch-outbox-*.txt")]
    assert sms and len(texts) == len(sms) and all(t.startswith("To: +15125550100") for t in texts)
    # the provider reports the first one delivered (the receipt path the Twilio webhook takes)
    with psycopg.connect(settings.database_url) as conn:
        assert webhooks.apply(conn.cursor(), Receipt(sms[0][0], "sms", sms[0][1], "delivered", None, None))
    page.get_by_role("tab", name="Inbox").click()
    expect(page.locator("#notes")).to_contain_text("SMS to (512) 555-0100: delivered")
    expect(page.locator("#notes")).to_contain_text("SMS to (512) 555-0100: sent")
    shots(page, "inbox-receipts")


def test_a_verified_phone_gets_an_sms_alert_outside_the_quiet_hours_set_in_the_browser_on_a_desktop(page, live, shots, watch):
    sms_flow(page, *live, shots)


@pytest.mark.browser_context_args(**PHONE)
def test_a_verified_phone_gets_an_sms_alert_outside_the_quiet_hours_set_in_the_browser_on_a_phone(page, live, shots, watch):
    sms_flow(page, *live, shots)


def test_quiet_hours_set_in_the_browser_hold_a_text_until_they_end(page, live, watch):
    base, settings = live
    news(settings, "2026-07-28")
    http = signed_in(page, base)
    with psycopg.connect(settings.database_owner_url) as conn:
        conn.execute("UPDATE users SET phone = '+15125550100', phone_verified_at = now()")
    api(http, base, "POST", "/v1/aois", json={"name": "Andrews pad", "geometry": _box(*ANDREWS, d=0.2)})
    _open(page, base, "/alerts")
    sms_rule(page, "Quiet now", -1, 1)
    assert next_day_delivered(settings) == []
    with psycopg.connect(settings.worker_database_url) as w:
        waiting = w.execute("SELECT min(next_attempt_at) FROM notification_outbox WHERE channel = 'sms' AND status = 'pending'").fetchone()[0]
    assert not list(settings.sms_folder.glob("permitwatch-outbox-*.txt"))  # nothing texted in quiet hours
    assert waiting is not None and abs(waiting - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=2)


# ---- team --------------------------------------------------------------------------------------
def team_flow(browser, page, base, settings, smtp, shots, context_args):
    signed_in(page, base)
    _open(page, base, "/team")
    page.get_by_label("E-mail").fill("bob@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#view")).to_contain_text("bob@example.com · member")
    token = link_token(smtp, "bob@example.com", "invite")
    other = browser.new_context(**context_args)
    try:
        bob = other.new_page()
        bob.goto(f"{base}/app#/invite?token={token}")
        expect(bob.get_by_role("heading", name="Join Acme")).to_be_visible()
        bob.get_by_role("link", name="Create an account").click()
        bob.get_by_label("E-mail").fill("bob@example.com")
        bob.get_by_label("Password").fill("pumpjack sunrise 77")
        bob.get_by_role("button", name="Create account").click()
        expect(bob.get_by_role("tab", name="Permits")).to_have_attribute("aria-selected", "true")
        bob.get_by_role("tab", name="Team").click()
        expect(bob.locator("#view")).to_contain_text("Owners and admins invite teammates.")
    finally:
        other.close()
    page.reload()
    page.get_by_label("Role of bob@example.com").select_option("admin")
    expect(page.locator("#toast")).to_contain_text("Role changed")
    shots(page, "team")
    with psycopg.connect(settings.database_owner_url) as conn:
        role = conn.execute("SELECT m.role FROM workspace_members m JOIN users u ON u.id = m.user_id JOIN workspaces w ON w.id = m.workspace_id "
                            "WHERE u.email = 'bob@example.com' AND w.name = 'Acme'").fetchone()
    assert role == ("admin",)


def test_team_invite_accepted_in_a_second_browser_and_a_role_changed_on_a_desktop(browser, page, live, smtp, shots, watch):
    team_flow(browser, page, *live, smtp, shots, {})


@pytest.mark.browser_context_args(**PHONE)
def test_team_invite_accepted_in_a_second_browser_and_a_role_changed_on_a_phone(browser, page, live, smtp, shots, watch):
    team_flow(browser, page, *live, smtp, shots, PHONE)


# ---- operators -------------------------------------------------------------------------------
def operators_flow(page, base, settings, shots):
    """From a permit to its operator's profile, then peers in its county: two names grouped
    as one competitor, charted side by side, their permits listed, and the operator watched."""
    for day in ("2026-07-27", "2026-07-28"):
        news(settings, day)
    signed_in(page, base)
    _open(page, base, "/permit/0916878")
    well = page.locator("#view h3", has_text="The well (API")
    expect(well).to_be_visible()
    well.scroll_into_view_if_needed()
    expect(page.locator("#view")).to_contain_text(re.compile(r"Not spudded yet|Spudded \d"))
    shots(page, "permit-well")
    page.get_by_role("link", name="operator profile and peers").click()
    heading = page.locator("#view h2")
    expect(heading).not_to_have_text("")
    name = heading.inner_text()
    expect(page.locator(".figures")).to_contain_text("Permits")
    expect(page.locator("#op-chart canvas")).to_be_attached()
    expect(page.locator("#events li").first).to_contain_text("RRC published")
    shots(page, "operator-profile-top")
    page.locator("#op-chart summary").click()
    expect(page.locator("#op-chart table.numbers")).to_contain_text("Jul 2026")
    shots(page, "operator-profile")
    with page.expect_download() as dl:
        page.locator("#op-chart").get_by_role("button", name="Download CSV").click()
    csv_text = open(dl.value.path(), encoding="utf-8").read()
    assert csv_text.startswith("month,") and "2026-07," in csv_text
    page.get_by_role("button", name="Watch this operator").click()
    expect(page.locator("#toast")).to_contain_text(f"{name} added to the watchlist")

    page.get_by_role("link", name=re.compile(r"^Compare in .* County$")).click()
    ranking = page.locator("table.ranking tbody tr")
    expect(ranking.first).to_be_visible()
    assert ranking.count() >= 3
    body = page.locator("#cmp-out").inner_text()
    assert "{" not in body and "None" not in body and "undefined" not in body and "NaN" not in body
    first, second = (int(ranking.nth(i).locator("button.permits").inner_text().replace(",", "")) for i in (0, 1))
    ranking.nth(0).locator("input.pick").check()
    ranking.nth(1).locator("input.pick").check()
    page.get_by_role("button", name="Group picked as one competitor").click()
    page.locator("#group-form").get_by_label("Name").fill("Competitor X")
    page.locator("#group-form").get_by_role("button", name="Group").click()
    expect(page.locator("#toast")).to_contain_text('Grouped 2 operators as "Competitor X"')
    grouped = page.locator("table.ranking tbody tr", has_text="Competitor X")
    expect(grouped).to_contain_text("(group)")
    assert int(grouped.locator("button.permits").inner_text().replace(",", "")) == first + second
    expect(page.locator("#groups")).to_contain_text("Competitor X")
    grouped.locator("input.pick").check()
    page.get_by_role("button", name="Chart picked (up to 5)").click()
    expect(page.locator("#cmp-chart canvas")).to_be_attached()
    expect(page.locator("#cmp-chart figcaption")).to_contain_text("Permits per month in")
    shots(page, "operator-comparison")
    page.locator("table.ranking").scroll_into_view_if_needed()
    shots(page, "operator-ranking")
    page.locator("table.ranking tbody tr", has_text="Competitor X").locator("button.permits").click()
    expect(page.locator("#count")).to_contain_text(f"{first + second:,} permit")
    expect(page.get_by_label("Operator")).to_have_value("Competitor X")  # the search names the group

    # The group's own page: its operators as one competitor, watched as one.
    _open(page, base, "/compare")
    page.locator("#groups a", has_text="Competitor X").click()
    expect(page.locator("#view h2")).to_contain_text("Competitor X")
    expect(page.locator("#view")).to_contain_text("Your group of 2 operators")
    expect(page.locator("#events li").first).to_contain_text("RRC published")
    group_permits = int(page.locator(".figures button.fig").first.inner_text().replace(",", ""))
    assert group_permits >= first + second
    shots(page, "group-profile")
    page.get_by_role("button", name="Watch this group").click()
    expect(page.locator("#toast")).to_contain_text("Competitor X added to the watchlist")
    page.locator(".figures button.fig").first.click()
    expect(page.locator("#count")).to_contain_text(f"{group_permits:,} permit")

    # An alert that follows the watchlist (the operator and the group) into new ground only.
    _open(page, base, "/alerts")
    expect(page.locator("#view")).to_contain_text("Competitor X (group)")
    form = page.locator("#rule-form")
    form.get_by_label("Name").fill("Rivals in new ground")
    form.locator("select[name=watchlist_id]").select_option(label="Competitors")
    form.get_by_label(re.compile("only a watched operator's first permit")).check()
    form.get_by_role("button", name="Create alert").click()
    expect(page.locator("#toast")).to_contain_text("Alert created")
    expect(page.locator("#rules")).to_contain_text("Rivals in new ground")
    expect(page.locator("#rules")).to_contain_text("(only in ground new to the operator)")
    shots(page, "alert-new-ground")


def test_operator_profile_peers_a_group_and_a_watch_on_a_desktop(page, live, shots, watch):
    operators_flow(page, *live, shots)


@pytest.mark.browser_context_args(**PHONE)
def test_operator_profile_peers_a_group_and_a_watch_on_a_phone(page, live, shots, watch):
    operators_flow(page, *live, shots)


def exports_flow(page, base, settings, shots):
    """From a filtered permit list to an Excel file: the export dialog, the Exports screen
    with its progress, a worker taking the job, and the download opened as a workbook."""
    news(settings, "2026-07-28")
    signed_in(page, base)
    _open(page, base, "/permits")
    expect(page.locator("#count")).to_contain_text("permit")
    everything = page.locator("#count").inner_text()
    page.locator("#filters-box summary").click()
    page.get_by_label("County").select_option(label="Midland")
    page.locator("#filters").get_by_role("button", name="Apply filters").click()
    expect(page.locator("#count")).not_to_have_text(everything)
    total = int(page.locator("#count").inner_text().split(" ")[0].replace(",", ""))
    page.get_by_role("button", name="Export…").click()
    dialog = page.locator("#export-form")
    dialog.get_by_label("Format").select_option("xlsx")
    dialog.get_by_label("Legal description").check()
    shots(page, "export-dialog")
    dialog.get_by_role("button", name="Start export").click()
    expect(page.locator("#toast")).to_contain_text("Export started")
    item = page.locator("#exports li").first
    expect(item).to_contain_text("Permits in Midland County")
    expect(item).to_contain_text("Waiting to start")
    shots(page, "exports-waiting")
    worker = subprocess.run([sys.executable, "-m", "workers", "--queues", "export", "--burst"], env=env_for(settings),
                            capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr[-2000:]
    expect(item).to_contain_text("Ready", timeout=10_000)
    expect(item).to_contain_text(f"{total:,} rows")
    shots(page, "exports-ready")
    with page.expect_download() as dl:
        item.get_by_role("link", name="Download").click()
    assert dl.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()), read_only=True)
    rows = list(book["Permits"].iter_rows(values_only=True))
    assert len(rows) == total + 1 and "Legal description" in rows[0] and rows[0][0] == "Status number"


def test_an_export_of_a_search_progresses_and_downloads_on_a_desktop(page, live, shots, watch):
    exports_flow(page, *live, shots)


@pytest.mark.browser_context_args(**PHONE)
def test_an_export_of_a_search_progresses_and_downloads_on_a_phone(page, live, shots, watch):
    exports_flow(page, *live, shots)


def reports_flow(page, base, settings, smtp, shots):
    """An area's weekly AOI Activity Report scheduled from the Areas screen, listed on the
    Exports screen, started by the export sweep when due, made by a worker, and mailed with
    the PDF and the workbook attached; then one made now for July, downloaded as a PDF."""
    news(settings, "2026-07-28")
    http = signed_in(page, base)
    api(http, base, "POST", "/v1/aois", json={"name": "Andrews pad", "geometry": _box(*ANDREWS, d=0.2), "buffer": 1000})
    _open(page, base, "/areas")
    page.locator("#aoi-list li", has_text="Andrews pad").get_by_role("button", name="Activity report").click()
    form = page.locator("#report-form")
    form.get_by_label("Every week, by e-mail").check()
    form.get_by_label("Weekday").select_option(label="Monday")
    form.get_by_label("E-mail it to").fill("ann@example.com, client@example.org")
    shots(page, "report-dialog")
    form.get_by_role("button", name="Schedule it").click()
    expect(page.locator("#toast")).to_contain_text("Scheduled: every Monday at 7:00 AM")
    schedule = page.locator("#schedules li", has_text="Andrews pad")
    expect(schedule).to_contain_text("to ann@example.com, client@example.org")
    # the schedule comes due: the sweep starts its report, a worker makes it
    with psycopg.connect(settings.database_owner_url) as conn:
        conn.execute("UPDATE report_schedules SET next_run_at = now() - interval '1 minute'")
    env = env_for(settings)
    sweep = subprocess.run([sys.executable, "-m", "services", "exports", "sweep"], env=env, capture_output=True, text=True, timeout=120)
    assert sweep.returncode == 0 and "1 scheduled reports started" in sweep.stdout, sweep.stdout + sweep.stderr
    worker = subprocess.run([sys.executable, "-m", "workers", "--queues", "export", "--burst"], env=env, capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr[-2000:]
    page.reload()
    item = page.locator("#exports li").first
    expect(item).to_contain_text("Activity report: Andrews pad")
    expect(item).to_contain_text("Ready (PDF, with a workbook of every row)")
    expect(item.get_by_role("link", name="Workbook")).to_be_visible()
    expect(schedule).to_contain_text("last sent")
    shots(page, "report-scheduled")
    with psycopg.connect(settings.worker_database_url) as w:
        deliver_due(w, settings, providers_from(settings))
    mails = [m for _, to, m in smtp.messages if m["Subject"].startswith("Activity report: Andrews pad")]
    assert sorted(m["To"] for m in mails) == ["ann@example.com", "client@example.org"]
    names = [part.get_filename() for part in mails[0].iter_attachments()]
    assert len(names) == 2 and names[0].endswith(".pdf") and names[1].endswith(".xlsx")
    pdf = next(mails[0].iter_attachments()).get_content()
    assert pdf.startswith(b"%PDF")
    # one made now, for July, downloaded from the Exports screen
    page.get_by_role("button", name="Activity report for an area…").click()
    form.get_by_label("Period").select_option("custom")
    form.get_by_label("First day").fill("2026-07-01")
    form.get_by_label("Last day").fill("2026-07-31")
    form.get_by_label("E-mail it to").fill("")
    form.get_by_role("button", name="Make the report").click()
    expect(page.locator("#toast")).to_contain_text("The report is being made")
    july = page.locator("#exports li", has_text="July 2026")
    expect(july).to_contain_text("Waiting to start")
    worker = subprocess.run([sys.executable, "-m", "workers", "--queues", "export", "--burst"], env=env, capture_output=True, text=True, timeout=300)
    assert worker.returncode == 0, worker.stderr[-2000:]
    expect(july).to_contain_text("Ready", timeout=10_000)
    with page.expect_download() as dl:
        july.get_by_role("link", name="Download").click()
    assert dl.value.suggested_filename == "activity-report-andrews-pad-20260701-20260731.pdf"
    text = "".join(p.extract_text() for p in PdfReader(dl.value.path()).pages)
    assert "Activity report" in text and "Andrews pad" in text and "July 2026" in text
    shots(page, "report-ready")


def test_a_weekly_area_report_is_scheduled_mailed_with_its_pdf_and_one_is_made_now_on_a_desktop(page, live, smtp, shots, watch):
    reports_flow(page, *live, smtp, shots)


@pytest.mark.browser_context_args(**PHONE)
def test_a_weekly_area_report_is_scheduled_mailed_with_its_pdf_and_one_is_made_now_on_a_phone(page, live, smtp, shots, watch):
    reports_flow(page, *live, smtp, shots)


def keys_flow(page, base, settings, shots):
    """An admin makes an API key in the browser and sees it once; software calls the API with
    it and sees the limits' headers; the screen shows the use; a revoked key is refused."""
    news(settings, "2026-07-28")
    signed_in(page, base)
    _open(page, base, "/team")
    page.get_by_role("link", name="API keys and usage").click()
    expect(page.locator("#view")).to_contain_text("No keys yet.")
    page.get_by_role("button", name="New API key…").click()
    form = page.locator("#key-form")
    form.get_by_label("Name").fill("Nightly sync")
    form.get_by_label("Read alert rules").check()
    shots(page, "key-new")
    form.get_by_role("button", name="Make the key").click()
    key = page.locator("#the-secret").inner_text().strip()
    assert key.startswith("pwk_") and len(key) == 40
    shots(page, "key-shown-once")
    page.get_by_role("button", name="Done").click()
    row = page.locator(".keys li", has_text="Nightly sync")
    expect(row).to_contain_text(key[:12])
    expect(row).to_contain_text("Never used")
    assert key not in page.content()  # shown once, then only its first characters
    r = requests.get(f"{base}/v1/permits", params={"counties": "Andrews"}, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert r.status_code == 200 and r.json()["items"] and r.headers["RateLimit-Policy"].startswith('"burst";q=10;w=1')
    page.reload()
    expect(page.locator(".usage")).to_contain_text("1 request of 10,000")
    expect(row).to_contain_text("Last used")
    shots(page, "keys-used")
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    r = requests.get(f"{base}/v1/permits", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_an_api_key_made_in_the_browser_calls_the_api_shows_its_use_and_is_revoked_on_a_desktop(page, live, shots, watch):
    keys_flow(page, *live, shots)


@pytest.mark.browser_context_args(**PHONE)
def test_an_api_key_made_in_the_browser_calls_the_api_shows_its_use_and_is_revoked_on_a_phone(page, live, shots, watch):
    keys_flow(page, *live, shots)


def webhooks_flow(page, base, settings, shots, webhook_ca):
    """An admin adds a webhook in the browser, keeps its secret (shown once), sends a test
    event, and reads in the delivery log that it was refused once, then delivered, signed."""
    from services.webhooks import deliver as outbound
    from services.webhooks import signing
    from services.webhooks.sender import Sender
    from tests.webhook_receiver import Receiver

    receiver = Receiver(webhook_ca[0])
    receiver.answers = [503]
    try:
        signed_in(page, base)
        _open(page, base, "/keys")
        expect(page.locator("#webhooks")).to_contain_text("No webhooks yet.")
        page.get_by_role("button", name="New webhook…").click()
        form = page.locator("#hook-form")
        form.get_by_label("Address (HTTPS)").fill(receiver.url)
        form.get_by_label("Description (optional)").fill("Our CRM")
        form.get_by_label("Every permit change statewide (batched)").check()
        shots(page, "webhook-new")
        form.get_by_role("button", name="Add the webhook").click()
        secret = page.locator("#the-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        shots(page, "webhook-secret-once")
        page.get_by_role("button", name="Done").click()
        row = page.locator(".hooks li", has_text="Our CRM")
        expect(row).to_contain_text("No deliveries yet")
        assert secret not in page.content()
        row.get_by_role("button", name="Send test").click()
        expect(page.locator("#toast")).to_contain_text("Test event queued")
        post = Sender(settings)
        try:
            with psycopg.connect(settings.worker_database_url) as w:
                outbound.deliver(w, settings, post)  # the receiver answers 503 ...
                outbound.deliver(w, settings, post, now=datetime.now(UTC) + timedelta(hours=2))  # ... then 200
        finally:
            post.close()
        assert len(receiver.requests) == 2
        headers, body = receiver.requests[-1]
        assert signing.verify(headers["permitwatch-signature"], body, secret, int(datetime.now(UTC).timestamp()))
        page.reload()
        row = page.locator(".hooks li", has_text="Our CRM")
        expect(row).to_contain_text("Delivered")
        shots(page, "webhooks-list")
        row.get_by_role("button", name="Delivery log").click()
        log = page.locator(".deliveries")
        expect(log).to_contain_text("Test")
        expect(log).to_contain_text("answered 503")
        expect(log).to_contain_text("answered 200")
        shots(page, "webhook-log")
    finally:
        receiver.server.shutdown()


def test_a_webhook_added_in_the_browser_gets_a_signed_test_event_shown_in_its_log_on_a_desktop(page, live, shots, watch, webhook_ca):
    webhooks_flow(page, *live, shots, webhook_ca)


@pytest.mark.browser_context_args(**PHONE)
def test_a_webhook_added_in_the_browser_gets_a_signed_test_event_shown_in_its_log_on_a_phone(page, live, shots, watch, webhook_ca):
    webhooks_flow(page, *live, shots, webhook_ca)


def audit_flow(page, base, shots):
    """An owner opens the audit log from Team, reads who did what in words, narrows it to
    revoked keys, and downloads the same entries as CSV."""
    http = signed_in(page, base)
    api(http, base, "PATCH", "/v1/account", json={"display_name": "Ann Landman"})
    api(http, base, "POST", "/v1/api-keys", json={"name": "Nightly sync", "scopes": ["permits:read"]})
    old = api(http, base, "POST", "/v1/api-keys", json={"name": "Old laptop", "scopes": ["permits:read"]})
    api(http, base, "POST", f"/v1/api-keys/{old['id']}/revoke")
    _open(page, base, "/team")
    page.get_by_role("link", name="Audit log").click()
    rows = page.locator("#audit-rows")
    expect(rows).to_contain_text("Ann Landman revoked an API key")
    expect(rows).to_contain_text("Ann Landman made an API key")
    expect(rows).to_contain_text("name: Old laptop")
    shots(page, "audit-log")
    page.get_by_label("What").select_option(label="revoked an API key")
    page.locator("#audit-filters").get_by_role("button", name="Show").click()
    expect(rows.locator("li")).to_have_count(1)
    shots(page, "audit-filtered")
    with page.expect_download() as got:
        page.get_by_role("link", name="Download CSV").click()
    text = open(got.value.path(), encoding="utf-8").read().splitlines()
    assert text[0].startswith("when_utc,who,what") and len(text) == 2 and "api_key.revoked" in text[1]


def test_an_owner_reads_filters_and_downloads_the_audit_log_on_a_desktop(page, live, shots, watch):
    audit_flow(page, live[0], shots)


@pytest.mark.browser_context_args(**PHONE)
def test_an_owner_reads_filters_and_downloads_the_audit_log_on_a_phone(page, live, shots, watch):
    audit_flow(page, live[0], shots)
