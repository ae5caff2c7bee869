"""Exports through the HTTP API, a real RQ worker process and real Redis, over real RRC
daily files: each format checked against the search API for the same filters, the signed
link, the daily limit, a worker killed mid-job, the sweep, and workspace isolation."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import uuid
import zipfile
from urllib.parse import parse_qs, urlparse

import openpyxl
import psycopg
import pytest
import shapefile
from defusedxml import ElementTree

from services.exports import jobs, links
from tests.api.conftest import search_all
from tests.conftest import env_for, news

COUNTY = {"counties": ["Midland"]}


def _work(settings) -> None:
    proc = subprocess.run([sys.executable, "-m", "workers", "--queues", "export", "--burst"], env=env_for(settings),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _export(user, settings, **body) -> dict:
    r = user.post("/v1/exports", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "queued" and r.json()["download_url"] is None
    _work(settings)
    done = user.get(f"/v1/exports/{r.json()['id']}").json()
    assert done["status"] == "completed", done
    return done


def _download(user, job: dict) -> bytes:
    r = user.get(job["download_url"])
    assert r.status_code == 200, r.text
    return r.content


@pytest.fixture
def landman(visitor, web_settings):
    for day in ("2026-07-27", "2026-07-28"):
        news(web_settings, day)
    user = visitor()
    user.signup("landman@example.com", workspace_name="Midland Land")
    return user


def test_a_csv_export_holds_the_search_cell_by_cell_with_provenance(landman, web_settings):
    job = _export(landman, web_settings, kind="permits", format="csv", search=COUNTY,
                  columns=["api_number", "operator_name", "lease_name", "well_number", "total_depth", "issued_date", "latitude", "longitude"])
    rows = list(csv.DictReader(io.StringIO(_download(landman, job).decode())))
    expected = search_all(landman, **COUNTY)
    assert len(rows) == len(expected) == job["row_count"] == job["rows_expected"] > 0
    for row, p in zip(rows, expected, strict=True):
        assert row["Status number"] == p["status_number"] and row["Version (filing sequence)"] == str(p["sequence"])
        assert row["API number"] == (p["api_number"] or "") and row["Operator"] == (p["operator_name"] or "")
        assert row["Lease"] == (p["lease_name"] or "") and row["Well"] == (p["well_number"] or "")
        assert row["Total depth (ft)"] == (str(p["total_depth"]) if p["total_depth"] is not None else "")
        assert row["Issued"] == (p["issued_date"] or "")
        if p["lat"] is None:
            assert row["Latitude"] == row["Longitude"] == ""
        else:
            assert (float(row["Latitude"]), float(row["Longitude"])) == pytest.approx((p["lat"], p["lon"]), abs=1e-6)
        assert row["Source file"].startswith("daf420-2026-07-2") and row["RRC published (UTC)"].startswith("2026-")
    assert job["title"] == "Permits in Midland County"
    assert job["file_name"].endswith(".csv") and job["size_bytes"] == len(_download(landman, job))


def test_an_excel_export_opens_in_openpyxl_and_agrees_with_the_csv(landman, web_settings):
    body = {"kind": "permits", "search": {"districts": ["08"], "profiles": ["horizontal"]}}
    as_csv = list(csv.reader(io.StringIO(_download(landman, _export(landman, web_settings, format="csv", **body)).decode())))
    book = openpyxl.load_workbook(io.BytesIO(_download(landman, _export(landman, web_settings, format="xlsx", **body))), read_only=True)
    assert book.sheetnames == ["About", "Permits"]
    about = [r[0] for r in book["About"].iter_rows(values_only=True)]
    assert about[0] == "Permits: RRC district 08; horizontal wells" and f"{len(as_csv) - 1:,} rows." in about
    sheet = [[("" if v is None else v.date().isoformat() if hasattr(v, "date") else str(int(v)) if isinstance(v, float) and v.is_integer()
              else str(v)) for v in r] for r in book["Permits"].iter_rows(values_only=True)]
    assert len(sheet) == len(as_csv) > 1
    for got, want in zip(sheet, as_csv, strict=True):
        assert [g if not _num(w) else float(g) for g, w in zip(got, want, strict=True)] == [
            w if not _num(w) else float(w) for w in want]


def _num(v: str) -> bool:
    try:
        float(v)
        return not v.startswith("0") or v == "0" or "." in v
    except ValueError:
        return False


def test_geojson_kml_and_shapefile_exports_place_every_permit_with_its_laterals(landman, web_settings):
    where = {"districts": ["08"], "profiles": ["horizontal"]}
    expected = {p["status_number"]: p for p in search_all(landman, **where)}
    geo = json.loads(_download(landman, _export(landman, web_settings, kind="permits", format="geojson", search=where)))
    points = [f for f in geo["features"] if f["geometry"] and f["geometry"]["type"] == "Point"]
    laterals = [f for f in geo["features"] if f["geometry"] and f["geometry"]["type"] == "MultiLineString"]
    assert {f["properties"]["Status number"] for f in points} == {k for k, p in expected.items() if p["lon"] is not None}
    for f in points:
        p = expected[f["properties"]["Status number"]]
        assert f["geometry"]["coordinates"] == pytest.approx([p["lon"], p["lat"]], abs=1e-6)
    assert laterals and all(lat["geometry"]["coordinates"][0][0] == pytest.approx(
        next(f["geometry"]["coordinates"] for f in points if f["properties"]["Status number"] == lat["properties"]["Status number"]), abs=1e-6)
        for lat in laterals)

    kml = ElementTree.fromstring(_download(landman, _export(landman, web_settings, kind="permits", format="kml", search=where)))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = kml.findall(".//k:Placemark", ns)
    assert len(marks) == len(expected)
    assert all(m.find("k:styleUrl", ns).text.startswith("#p-") for m in marks)
    assert len(kml.findall(".//k:Placemark//k:LineString", ns)) >= len(laterals)

    z = zipfile.ZipFile(io.BytesIO(_download(landman, _export(landman, web_settings, kind="permits", format="shapefile", search=where))))
    assert {"permits.shp", "permits.shx", "permits.dbf", "permits.prj", "permits_laterals.shp", "README.txt"} <= set(z.namelist())
    assert "WGS_1984" in z.read("permits.prj").decode()
    shp = shapefile.Reader(shp=io.BytesIO(z.read("permits.shp")), shx=io.BytesIO(z.read("permits.shx")), dbf=io.BytesIO(z.read("permits.dbf")))
    assert len(shp) == len(expected)
    status_field = [f[0] for f in shp.fields[1:]].index("STATUS_NUM")
    for rec, shape in zip(shp.records(), shp.shapes(), strict=True):
        p = expected[rec[status_field]]
        assert (shape.points[0] if shape.points else None) == (pytest.approx([p["lon"], p["lat"]], abs=1e-6) if p["lon"] is not None else None)


def test_the_workspaces_areas_export_as_polygons(landman, web_settings):
    box = {"type": "Polygon", "coordinates": [[[-102.2, 31.8], [-102.0, 31.8], [-102.0, 32.0], [-102.2, 32.0], [-102.2, 31.8]]]}
    assert landman.post("/v1/aois", json={"name": "Spraberry lease", "geometry": box, "buffer": 500}).status_code == 201
    geo = json.loads(_download(landman, _export(landman, web_settings, kind="areas", format="geojson")))
    (area,) = geo["features"]
    assert area["properties"]["Name"] == "Spraberry lease" and area["properties"]["Buffer (m)"] == 500
    assert area["geometry"]["type"] in ("Polygon", "MultiPolygon") and 300 < area["properties"]["Area (km²)"] < 500
    rows = list(csv.DictReader(io.StringIO(_download(landman, _export(landman, web_settings, kind="areas", format="csv")).decode())))
    assert rows[0]["Geometry (WKT)"].startswith("MULTIPOLYGON") or rows[0]["Geometry (WKT)"].startswith("POLYGON")


def test_a_tampered_or_expired_link_is_refused_and_other_workspaces_see_nothing(landman, web_settings, visitor):
    job = _export(landman, web_settings, kind="permits", format="csv", search=COUNTY)
    url = urlparse(job["download_url"])
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    other = visitor()
    other.signup("rival@example.com", workspace_name="Rival")
    assert other.get(url.path, params=q).status_code == 200  # a signed link is the permission, like a presigned URL
    for bad in ({**q, "e": str(int(q["e"]) + 3600)}, {**q, "s": q["s"][:-2] + "AA"}, {**q, "w": other.get("/auth/me").json()["workspace_id"]}):
        r = landman.get(url.path, params=bad)
        assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert other.get("/v1/exports").json() == [] and other.get(f"/v1/exports/{job['id']}").status_code == 404
    with psycopg.connect(web_settings.database_owner_url) as conn:
        conn.execute("UPDATE export_jobs SET expires_at = now() - interval '1 minute' WHERE id = %s", (job["id"],))
    past = links.sign(web_settings.secret_key, uuid.UUID(job["id"]), uuid.UUID(q["w"]), int(time.time()) - 60)
    r = landman.get(url.path, params=past)
    assert r.status_code == 403 and "expired" in r.json()["detail"]
    assert landman.get(f"/v1/exports/{job['id']}").json()["download_url"] is None
    swept = jobs.sweep(web_settings)
    assert swept["expired"] == 1
    assert landman.get(f"/v1/exports/{job['id']}").json()["status"] == "expired"
    assert not list((web_settings.data_dir / "exports").rglob("*.csv"))
    with psycopg.connect(web_settings.database_owner_url) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE entity_id = %s ORDER BY id", (job["id"],))]
    assert actions[:3] == ["export.created", "export.completed", "export.downloaded"]


def test_a_job_whose_worker_died_is_retried_and_never_links_a_half_file(landman, web_settings):
    r = landman.post("/v1/exports", json={"kind": "permits", "format": "xlsx", "search": COUNTY}).json()
    # the worker took the job and died: running, no file, its heartbeat long stopped
    with psycopg.connect(web_settings.database_owner_url) as conn:
        conn.execute("UPDATE export_jobs SET status = 'running', attempts = 1, heartbeat_at = now() - interval '1 hour' WHERE id = %s", (r["id"],))
    running = landman.get(f"/v1/exports/{r['id']}").json()
    assert running["status"] == "running" and running["download_url"] is None
    assert jobs.sweep(web_settings) == {"expired": 0, "requeued": 1, "failed": 0, "reports": 0, "usage_rows": 0,
                                        "trial_ending": 0, "paused": 0, "sms_metered": 0, "metric_weeks": 2}
    _work(web_settings)
    done = landman.get(f"/v1/exports/{r['id']}").json()
    assert done["status"] == "completed" and done["attempts"] == 2 and done["download_url"]
    # after the last attempt, a job that dies again fails with words a user can act on
    with psycopg.connect(web_settings.database_owner_url) as conn:
        conn.execute("UPDATE export_jobs SET status = 'running', storage_key = NULL, attempts = 3, "
                     "heartbeat_at = now() - interval '1 hour' WHERE id = %s", (r["id"],))
    assert jobs.sweep(web_settings)["failed"] == 1
    failed = landman.get(f"/v1/exports/{r['id']}").json()
    assert failed["status"] == "failed" and "start it again" in failed["error"]


def test_the_daily_export_limit_refuses_with_a_clear_problem(landman, web_settings):
    ws = landman.get("/auth/me").json()["workspace_id"]
    with psycopg.connect(web_settings.database_owner_url) as conn:
        conn.execute("INSERT INTO workspace_quotas (workspace_id, exports_per_day, managed_by) VALUES (%s, 1, 'test') "
                     "ON CONFLICT (workspace_id) DO UPDATE SET exports_per_day = 1", (ws,))
    assert landman.post("/v1/exports", json={"kind": "permits", "format": "csv", "search": COUNTY}).status_code == 201
    r = landman.post("/v1/exports", json={"kind": "permits", "format": "csv", "search": COUNTY})
    assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
    assert "started its 1 exports for today" in r.json()["detail"]


def test_a_watchlist_export_holds_its_operators_permits(landman, web_settings):
    op = landman.get("/v1/operators", params={"q": "PERMIAN"}).json()[0]
    wl = landman.post("/v1/watchlists", json={"name": "Rivals", "operator_ids": [op["id"]]}).json()
    job = _export(landman, web_settings, kind="permits", format="csv", watchlist_id=wl["id"])
    rows = list(csv.DictReader(io.StringIO(_download(landman, job).decode())))
    assert {r["Status number"] for r in rows} == {p["status_number"] for p in search_all(landman, operator_ids=op["id"])}
    assert job["title"] == "Permits of the watchlist Rivals"
