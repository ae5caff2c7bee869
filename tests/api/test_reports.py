"""AOI Activity Reports through the HTTP API, a real RQ worker process, real Redis and a
real SMTP server, over a month of generated RRC files (daily files and pending sets): the
PDF's numbers and the workbook's rows against the search API for the same area and days,
its pages rendered to PNG (kept as artifacts), what changed since the last report, a due
schedule mailed once with both files attached, bad requests, and workspace isolation."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import openpyxl
import psycopg
import pytest
from pypdf import PdfReader

from services.alerting.delivery import deliver_due, providers_from
from services.exports import jobs
from services.ingestion.demo import load_history, published, write_demo
from services.ingestion.pipeline import ingest
from tests.api.conftest import search_all
from tests.conftest import env_for

START = date(2026, 6, 1)
CUT = datetime(2026, 6, 22, tzinfo=UTC)
# Most of the generator's Permian permits: a box over Midland, Martin, Howard and Glasscock counties.
AREA = {"type": "Polygon", "coordinates": [[[-102.3, 31.65], [-101.2, 31.65], [-101.2, 32.55], [-102.3, 32.55], [-102.3, 31.65]]]}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    write_demo(folder, seed=5, permits=900, start=START, days=28)
    return folder


@pytest.fixture
def landman(visitor, web_settings, demo_folder):
    load_history(web_settings, [i for i in published(demo_folder) if i.at < CUT])
    user = visitor()
    user.signup("landman@example.com", workspace_name="Midland Land")
    return user


def _area(user, name="Permian core", buffer=800) -> str:
    r = user.post("/v1/aois", json={"name": name, "geometry": AREA, "buffer": buffer})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _work(settings) -> None:
    proc = subprocess.run([sys.executable, "-m", "workers", "--queues", "export", "--burst"], env=env_for(settings),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _report(user, settings, aoi, start="2026-06-01", end="2026-06-14", **body) -> dict:
    r = user.post("/v1/reports", json={"aoi_id": aoi, "start": start, "end": end, **body})
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "report" and r.json()["status"] == "queued"
    _work(settings)
    done = user.get(f"/v1/exports/{r.json()['id']}").json()
    assert done["status"] == "completed", done
    return done


def _pdf_text(user, job: dict, name: str) -> str:
    r = user.get(job["download_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(r.content)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / name)], check=True, timeout=120)
    assert len(list(ARTIFACTS.glob(f"{name}-*.png"))) == len(PdfReader(io.BytesIO(r.content)).pages)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)


def _sheet(user, job: dict, title: str) -> list[tuple]:
    r = user.get(job["attachment_url"])
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    return list(book[title].iter_rows(values_only=True))


def test_a_report_states_the_numbers_and_rows_the_search_api_gives_for_its_area_and_days(landman, web_settings):
    aoi = _area(landman)
    job = _report(landman, web_settings, aoi)
    assert job["title"] == "Activity report: Permian core, Jun 1 – Jun 14, 2026"
    assert job["file_name"] == "activity-report-permian-core-20260601-20260614.pdf"
    approved = search_all(landman, aoi=aoi, issued_from="2026-06-01", issued_to="2026-06-14", statuses="approved")
    before = search_all(landman, aoi=aoi, issued_from="2026-05-18", issued_to="2026-05-31", statuses="approved")
    pending = search_all(landman, aoi=aoi, statuses="pending")
    assert len(approved) > 20 and len(pending) > 0
    rows = _sheet(landman, job, "New permits")
    assert rows[0][:3] == ("Approved", "Status no.", "Operator")
    assert sorted(r[1] for r in rows[1:]) == sorted(p["status_number"] for p in approved)
    by_number = {p["status_number"]: p for p in approved}
    for r in rows[1:]:
        p = by_number[r[1]]
        assert r[0].date().isoformat() == p["issued_date"] and r[2] == p["operator_name"] and r[4] == p["county"]
        assert r[7] == p["total_depth"]
    assert sorted(r[1] for r in _sheet(landman, job, "Pending approval")[1:]) == sorted(p["status_number"] for p in pending)
    numbers = {r[0]: r[1:] for r in _sheet(landman, job, "Key numbers")[1:]}
    horizontal = sum(p["wellbore_profile"] == "horizontal" for p in approved)
    assert numbers["New permits approved"][:2] == (len(approved), len(before))
    assert numbers["of them horizontal"][0] == horizontal
    operators = _sheet(landman, job, "Operators ranked")
    assert sum(r[2] for r in operators[1:]) == len(approved) and operators[1][0] == 1
    sources = _sheet(landman, job, "Sources")
    assert sources[1][0] in ("RRC daily permit file", "RRC filings pending approval") and sum(r[3] for r in sources[1:]) >= len(approved)

    text = _pdf_text(landman, job, "permian-core-june")
    assert "Activity report" in text and "Permian core" in text and "Jun 1 – Jun 14, 2026" in text
    assert f"New permits approved {len(approved)} {len(before)}" in " ".join(text.split())
    assert f"New permits ({len(approved)})" in text and f"Filings pending approval ({len(pending)})" in text
    assert "This is the first report for this area" in text
    assert "daf420-2026-06-" in text  # the provenance footer names the RRC files


def test_the_next_report_says_what_changed_in_the_area_since_the_last_one(landman, web_settings, demo_folder):
    aoi = _area(landman)
    first = _report(landman, web_settings, aoi)
    now = datetime.now(UTC)
    later = [i for i in published(demo_folder) if CUT <= i.at < CUT + timedelta(days=3)]
    for n, item in enumerate(later):
        ingest(web_settings, str(item.path), source=item.source, seen_at=now + timedelta(seconds=n), history=False)
    with psycopg.connect(web_settings.database_owner_url) as conn:
        expected = conn.execute("""SELECT count(*) FROM permit_changes pc JOIN permit_versions v ON v.id = pc.permit_version_id
                                   JOIN aois a ON a.id = %s WHERE pc.created_at > %s AND ST_Intersects(v.geom, a.match_geom)""",
                                (aoi, first["finished_at"])).fetchone()[0]
    assert expected > 0
    second = _report(landman, web_settings, aoi, start="2026-06-15", end="2026-06-24")
    changed = _sheet(landman, second, "Changed since last report")
    assert len(changed) - 1 == expected
    text = _pdf_text(landman, second, "permian-core-changes")
    assert "What changed since the last report" in text and "first report" not in text
    assert "Since the last report" in text


def test_a_due_schedule_mails_its_report_once_with_the_pdf_and_workbook_attached(landman, web_settings, smtp):
    aoi = _area(landman)
    r = landman.post("/v1/report-schedules", json={"aoi_id": aoi, "cadence": "monthly", "recipients": ["Client@Example.org", "me@example.com"],
                                                   "timezone": "America/Chicago"})
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["recipients"] == ["client@example.org", "me@example.com"]
    assert s["description"] == "on the 1st of every month at 7:00 AM (America/Chicago), covering the month before"
    assert datetime.fromisoformat(s["next_run_at"]).astimezone().day >= 1
    with psycopg.connect(web_settings.database_owner_url) as conn:
        conn.execute("UPDATE report_schedules SET next_run_at = '2026-07-01 12:00+00' WHERE id = %s", (s["id"],))
    # due since July: the sends missed while nothing ran are not made up; the latest month goes out, once
    assert jobs.sweep(web_settings)["reports"] == 1
    assert jobs.sweep(web_settings)["reports"] == 0
    _work(web_settings)
    job = next(j for j in landman.get("/v1/exports").json() if j["kind"] == "report")
    assert job["status"] == "completed" and job["title"] == f"Activity report: Permian core, {_last_month()}"
    after = landman.get("/v1/report-schedules").json()[0]
    assert datetime.fromisoformat(after["next_run_at"]) > datetime.now(UTC) and after["last_run_at"]
    with psycopg.connect(web_settings.worker_database_url) as w:
        assert deliver_due(w, web_settings, providers_from(web_settings)).sent == 2
    mails = {m["To"]: m for _, _, m in smtp.messages if m["Subject"] == job["title"]}
    assert set(mails) == {"client@example.org", "me@example.com"}
    files = {a.get_filename(): a.get_content() for a in mails["me@example.com"].iter_attachments()}
    assert set(files) == {job["file_name"], job["attachment_name"]}
    assert _last_month() in PdfReader(io.BytesIO(files[job["file_name"]])).pages[0].extract_text()
    body = mails["me@example.com"].get_body(("plain",)).get_content()
    assert "New permits approved:" in body and "/v1/exports/" in body
    link = next(w for w in body.split() if "/v1/exports/" in w)
    assert landman.get(urlparse(link).path + "?" + urlparse(link).query).status_code == 200
    with psycopg.connect(web_settings.database_owner_url) as conn:
        actions = [a for (a,) in conn.execute("SELECT action FROM audit_log ORDER BY created_at").fetchall()]
    assert {"report_schedule.created", "report.created", "export.completed", "export.downloaded"} <= set(actions)


def _last_month() -> str:
    local = datetime.now(ZoneInfo("America/Chicago")).date().replace(day=1) - timedelta(days=1)
    return local.strftime("%B %Y")


def test_bad_report_requests_are_refused_naming_the_field(landman, web_settings):
    aoi = _area(landman)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    cases = [({"start": "2026-06-10", "end": "2026-06-01"}, "end"), ({"start": "2026-06-01", "end": tomorrow}, "end"),
             ({"start": "2024-01-01", "end": "2026-06-01"}, "start"), ({"start": "2026-06-01", "end": "2026-06-02", "recipients": ["not an address"]},
                                                                      "recipients")]
    for body, field in cases:
        r = landman.post("/v1/reports", json={"aoi_id": aoi, **body})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json" and r.json()["param"] == field, r.text
    r = landman.post("/v1/report-schedules", json={"aoi_id": aoi, "cadence": "weekly", "recipients": ["a@example.com"], "timezone": "Mars/Base"})
    assert r.status_code == 422 and r.json()["param"] == "timezone"


def test_reports_schedules_and_their_files_stay_in_their_workspace(landman, visitor, web_settings):
    aoi = _area(landman)
    job = _report(landman, web_settings, aoi)
    sid = landman.post("/v1/report-schedules", json={"aoi_id": aoi, "cadence": "weekly", "recipients": ["a@example.com"]}).json()["id"]
    other = visitor()
    other.signup("rival@example.com", workspace_name="Rival Land")
    assert other.get("/v1/report-schedules").json() == []
    assert other.send("PATCH", f"/v1/report-schedules/{sid}", json={"enabled": False}).status_code == 404
    assert other.post(f"/v1/report-schedules/{sid}/run").status_code == 404
    assert other.send("DELETE", f"/v1/report-schedules/{sid}").status_code == 404
    assert other.post("/v1/reports", json={"aoi_id": aoi, "start": "2026-06-01", "end": "2026-06-02"}).json()["param"] == "aoi_id"
    assert other.get(f"/v1/exports/{job['id']}").status_code == 404
    q = parse_qs(urlparse(job["attachment_url"]).query)
    rival = other.get("/auth/me").json()["workspace_id"]
    forged = other.get(f"/v1/exports/{job['id']}/file", params={"w": rival, "e": q["e"][0], "s": q["s"][0], "part": "attachment"})
    assert forged.status_code == 403
    # with its own signature, the rival's workspace still cannot see the job (RLS)
    from services.exports import links
    own = links.sign(web_settings.secret_key, job["id"], rival, int(q["e"][0]))
    assert other.get(f"/v1/exports/{job['id']}/file", params={**own, "part": "attachment"}).status_code == 404
