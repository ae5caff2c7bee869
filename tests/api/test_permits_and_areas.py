"""The permit search API, permit detail, AOIs (drawn and imported) and alert rules over
HTTP against real PostGIS, with problem+json for every kind of bad input."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import shapefile

from services.ingestion.pipeline import ingest
from tests.conftest import sample

ANDREWS = (-102.272228, 32.288362)  # permit 0916878, in the 2026-07-28 file


@pytest.fixture
def loaded(web_settings):
    ingest(web_settings, str(sample("2026-07-28")))
    return web_settings


@pytest.fixture
def user(visitor, loaded):
    b = visitor()
    b.signup("landman@example.com")
    return b


def _box(lon, lat, d=0.02):
    return {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]}


def test_search_filters_paginate_and_speak_geojson(user):
    r = user.get("/v1/permits", params={"counties": "Andrews", "limit": 5})
    assert r.status_code == 200
    first = r.json()
    assert first["count"] == 5 and first["next_cursor"] and {p["county"] for p in first["items"]} == {"Andrews"}
    seen = {p["permit_id"] for p in first["items"]}
    cursor, pages = first["next_cursor"], 1
    while cursor:
        page = user.get("/v1/permits", params={"counties": "Andrews", "limit": 5, "cursor": cursor}).json()
        ids = {p["permit_id"] for p in page["items"]}
        assert not ids & seen  # keyset pages never repeat
        seen |= ids
        cursor, pages = page["next_cursor"], pages + 1
    total = user.get("/v1/permits", params={"counties": "003", "limit": 500}).json()["count"]
    assert len(seen) == total and pages > 1
    gj = user.get("/v1/permits", params={"bbox": "-102.4,32.2,-102.1,32.4", "format": "geojson"})
    assert gj.headers["content-type"] == "application/geo+json"
    feats = gj.json()["features"]
    assert feats and all(-102.4 <= f["geometry"]["coordinates"][0] <= -102.1 for f in feats)
    both = user.get("/v1/permits", params={"counties": ["Andrews"], "profiles": "horizontal,vertical", "statuses": "approved"}).json()
    assert all(p["wellbore_profile"] in ("horizontal", "vertical") and p["status"] == "approved" for p in both["items"])


@pytest.mark.parametrize("params, param, words", [
    ({"counties": "Atlantis"}, "filters", "unknown county"),
    ({"statuses": "approvedd"}, "filters", "unknown value"),
    ({"bbox": "1,2,3"}, "bbox", "min_lon"),
    ({"area": '{"type": "Point", "coordinates": [0, 0]}'}, "area", "Polygon"),
    ({"area": "{not json"}, "area", "not JSON"),
    ({"area": json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})}, "area", "self-intersecting"),
    ({"area": json.dumps(_box(-100, 31, 3))}, "area", "km2 limit"),
    ({"cursor": "garbage"}, "cursor", "not a cursor"),
    ({"aoi": "not-an-id"}, "aoi", "area id"),
])
def test_bad_search_input_is_a_problem_that_says_what(user, params, param, words):
    r = user.get("/v1/permits", params=params)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["param"] == param and words in body["detail"] and body["instance"] == "/v1/permits"


def test_permit_detail_has_versions_changes_and_identifiers(user):
    p = user.get("/v1/permits/0916878").json()
    assert p["status_number"] == "0916878" and p["county"] == "Andrews" and p["api_number"]
    assert p["location"]["coordinates"] == pytest.approx(list(ANDREWS), abs=1e-5)
    assert p["versions"] and p["versions"][0]["changes"][0]["change"] == "new"
    # Legal description and nearest town as the 2026-07-28 file gives them for 0916878.
    assert p["legal_description"] == {"section": "10", "block": "40 T2N", "survey": "T&P RR CO / FORD, J B", "abstract": "730"}
    assert p["nearest_city"]["city"] == "ANDREWS"
    assert user.get(f"/v1/permits/{p['permit_id']}").json()["status_number"] == "0916878"
    assert user.get("/v1/permits/9999999").status_code == 404
    assert user.get("/v1/permits/drop table").status_code == 400


@pytest.mark.parametrize("q", ["0916878", "916878", "42-003-49365", "4200349365", "00349365", "mabee dda a47", "A-730", "abstract 730", "ford, j b"])
def test_the_search_box_finds_a_permit_by_its_numbers_lease_or_legal_description(user, q):
    found = user.get("/v1/permits", params={"q": q, "with_total": "true", "limit": 500}).json()
    assert "0916878" in {p["status_number"] for p in found["items"]} and found["total"] == len(found["items"])


def test_the_search_box_counts_every_match_and_escapes_wildcards(user):
    page = user.get("/v1/permits", params={"q": "unit", "with_total": "true", "limit": 5}).json()
    assert page["count"] == 5 and page["total"] > 5 and all("UNIT" in p["lease_name"] for p in page["items"])
    assert user.get("/v1/permits", params={"q": "%", "with_total": "true"}).json()["total"] == 0


def test_draw_edit_and_delete_areas_in_three_shapes(user, web_settings):
    poly = user.post("/v1/aois", json={"name": "Pad", "geometry": _box(*ANDREWS), "buffer": 500, "buffer_unit": "ft"})
    assert poly.status_code == 201 and poly.json()["properties"]["buffer_m"] == 152
    rect = user.post("/v1/aois", json={"name": "Box", "kind": "rectangle", "bbox": [-102.3, 32.2, -102.2, 32.3], "buffer": 1, "buffer_unit": "mi"})
    assert rect.json()["properties"]["buffer_m"] == 1609 and rect.json()["properties"]["shape"]["kind"] == "rectangle"
    circle = user.post("/v1/aois", json={"name": "Ring", "kind": "circle", "center": list(ANDREWS), "radius": 2, "radius_unit": "mi"})
    props = circle.json()["properties"]
    # A 2-mile circle: pi * 3.2187^2 = 32.5 km2 (polygonised, so a shade less)
    assert props["shape"] == {"kind": "circle", "center": list(ANDREWS), "radius_m": 3219} and 32.0 < props["area_km2"] < 32.6
    cid = circle.json()["id"]
    edited = user.send("PATCH", f"/v1/aois/{cid}", json={"name": "Ring 1", "kind": "circle", "center": list(ANDREWS), "radius": 1000, "radius_unit": "m"})
    assert edited.json()["properties"]["name"] == "Ring 1" and 3.0 < edited.json()["properties"]["area_km2"] < 3.2
    rebuf = user.send("PATCH", f"/v1/aois/{poly.json()['id']}", json={"buffer": 2, "buffer_unit": "mi"})
    assert rebuf.json()["properties"]["buffer_m"] == 3219 and rebuf.json()["properties"]["buffer_unit"] == "mi"
    assert len(user.get("/v1/aois").json()["features"]) == 3
    assert user.send("DELETE", f"/v1/aois/{cid}").status_code == 204
    assert user.get(f"/v1/aois/{cid}").status_code == 404
    inside = user.get("/v1/permits", params={"aoi": poly.json()["id"]}).json()["items"]
    assert "0916878" in {p["status_number"] for p in inside}


@pytest.mark.parametrize("body, field, words", [
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}, "geometry", "Self-intersection"),
    ({"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}, "geometry", "not LineString"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}}, "geometry", "three distinct corners"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0, 200], [1, 0], [0, 0]]]}}, "geometry", "outside longitude/latitude"),
    ({"geometry": _box(-100, 31, 2)}, "geometry", "km2 limit"),
    ({"geometry": _box(-100, 31), "buffer": 500, "buffer_unit": "mi"}, "buffer", "between 0 and"),
    ({"kind": "circle", "center": [-100, 31], "radius": 0}, "radius", "more than 0"),
])
def test_bad_areas_are_refused_with_the_reason(user, body, field, words):
    r = user.post("/v1/aois", json={"name": "bad", **body})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["param"] == field and words in r.json()["detail"]


def _shapefile_zip(prj: str | None = 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]]') -> bytes:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    w = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON)
    w.field("NAME", "C")
    for i, lon in enumerate((-102.3, -102.1)):
        w.poly([[[lon, 32.2], [lon, 32.3], [lon + 0.05, 32.3], [lon + 0.05, 32.2], [lon, 32.2]]])
        w.record(f"Lease {i + 1}")
    w.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for ext, buf in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            z.writestr(f"leases/leases.{ext}", buf.getvalue())
        if prj:
            z.writestr("leases/leases.prj", prj)
    return out.getvalue()


KML = """<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>North tract</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
-102.30,32.20,0 -102.25,32.20,0 -102.25,32.25,0 -102.30,32.25,0 -102.30,32.20,0</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>A pin</name><Point><coordinates>-102.2,32.2,0</coordinates></Point></Placemark>
</Document></kml>"""


def test_import_geojson_kml_and_zipped_shapefiles(user):
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Unit A"}, "geometry": _box(*ANDREWS)}]}
    r = user.post("/v1/aois/import", files={"file": ("units.geojson", json.dumps(fc), "application/geo+json")}, data={"buffer": "300", "buffer_unit": "ft"})
    assert r.status_code == 201 and r.json()["format"] == "geojson"
    assert [(f["properties"]["name"], f["properties"]["buffer_m"], f["properties"]["source"]) for f in r.json()["created"]] == [("Unit A", 91, "geojson")]
    k = user.post("/v1/aois/import", files={"file": ("tracts.kml", KML, "application/vnd.google-earth.kml+xml")})
    assert k.status_code == 201 and [f["properties"]["name"] for f in k.json()["created"]] == ["North tract"]
    s = user.post("/v1/aois/import", files={"file": ("leases.zip", _shapefile_zip(), "application/zip")})
    assert s.status_code == 201 and sorted(f["properties"]["name"] for f in s.json()["created"]) == ["Lease 1", "Lease 2"]
    assert len(user.get("/v1/aois").json()["features"]) == 4


@pytest.mark.parametrize("name, payload, words", [
    ("x.geojson", b"{oops", "not valid JSON"),
    ("x.geojson", json.dumps({"type": "Point", "coordinates": [0, 0]}).encode(), "not Point"),
    ("x.kml", b"<kml><Document><Placemark><name>p</name><Point><coordinates>0,0</coordinates></Point></Placemark></Document></kml>", "no polygons"),
    ("x.zip", b"PK\x03\x04 not really", "not a readable zip"),
    ("x.zip", None, "projected coordinate system"),
    ("x.txt", b"hello", "must be GeoJSON"),
])
def test_bad_imports_say_why(user, name, payload, words):
    if payload is None:
        payload = _shapefile_zip('PROJCS["NAD_1983_StatePlane_Texas_Central",GEOGCS["GCS_North_American_1983"]]')
    r = user.post("/v1/aois/import", files={"file": (name, payload, "application/octet-stream")})
    assert r.status_code == 422 and words in r.json()["detail"], r.text
    assert user.get("/v1/aois").json()["features"] == []  # nothing half-imported


def test_a_rule_comes_back_with_sample_alerts_and_is_audited(user, web_settings, smtp):
    from tests.api.conftest import link_token

    aoi = user.post("/v1/aois", json={"name": "Pad", "geometry": _box(*ANDREWS), "buffer": 0}).json()
    unverified = user.post("/v1/alert-rules", json={"name": "Near the pad", "aoi_id": aoi["id"], "channels": {"in_app": True, "email": True}})
    assert unverified.status_code == 422 and "verified email" in unverified.json()["detail"]
    user.post("/auth/verify", json={"token": link_token(smtp, "landman@example.com", "verify")})
    r = user.post("/v1/alert-rules", json={"name": "Near the pad", "aoi_id": aoi["id"], "channels": {"in_app": True, "email": True}})
    assert r.status_code == 201, r.text
    rule = r.json()
    samples = {s["status_number"] for s in user.get(f"/v1/alert-rules/{rule['id']}/samples", params={"days": 730}).json()}
    in_area = {p["status_number"] for p in user.get("/v1/permits", params={"aoi": aoi["id"], "limit": 500}).json()["items"]}
    assert samples and samples <= in_area and len(samples) == min(20, len(in_area))
    assert rule["channels"] == {"in_app": True, "email": True} and rule["aoi_name"] == "Pad"
    bad = user.post("/v1/alert-rules", json={"name": "x", "channels": {"in_app": True}})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert user.post(f"/v1/alert-rules/{rule['id']}/enabled", json={"enabled": False}).json()["enabled"] is False
    import psycopg

    with psycopg.connect(web_settings.database_owner_url) as conn:
        actions = [a for (a,) in conn.execute("SELECT action FROM audit_log ORDER BY id").fetchall()]
    assert {"aoi.created", "alert_rule.created", "alert_rule.disabled"} <= set(actions)


def test_quiet_hours_are_stored_and_read_back_in_the_contract_shape(user):
    aoi = user.post("/v1/aois", json={"name": "Pad", "geometry": _box(*ANDREWS), "buffer": 0}).json()
    quiet = {"timezone": "America/Chicago", "windows": [{"start": "21:30", "end": "06:45", "days": [0, 1, 2, 3, 4]}]}
    made = user.post("/v1/alert-rules", json={"name": "q", "aoi_id": aoi["id"], "quiet_hours": quiet})
    assert made.status_code == 201, made.text
    assert made.json()["quiet_hours"] == quiet
    assert user.get("/v1/alert-rules").json()[0]["quiet_hours"] == quiet


@pytest.mark.parametrize("quiet, param", [
    ({"timezone": "America/Chicago", "windows": [{"start": "25:00", "end": "07:00"}]}, "body.quiet_hours.windows.0.start"),
    ({"timezone": "America/Chicago", "windows": []}, "body.quiet_hours.windows"),
    ({"start": "22:00", "end": "07:00"}, "body.quiet_hours.windows"),  # the old browser shape
    ({"timezone": "Mars/Olympus", "windows": [{"start": "22:00", "end": "07:00"}]}, None),
])
def test_bad_quiet_hours_are_refused_naming_what_is_wrong(user, quiet, param):
    aoi = user.post("/v1/aois", json={"name": "Pad", "geometry": _box(*ANDREWS), "buffer": 0}).json()
    r = user.post("/v1/alert-rules", json={"name": "q", "aoi_id": aoi["id"], "quiet_hours": quiet})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    if param:
        assert param in [e["where"] for e in body["errors"]], body
    else:
        assert "unknown time zone 'Mars/Olympus'" in body["detail"]




def test_status_filters_and_openapi(user, app):
    st = user.get("/v1/status").json()
    assert st["last_success_at"] and st["latest_snapshot_at"].startswith("2026-07-28")
    vocab = user.get("/v1/filters").json()
    assert {"code": "003", "name": "Andrews", "district": "08"} in vocab["counties"] and "horizontal" in vocab["profiles"]
    doc = user.get("/openapi.json").json()
    assert {"/v1/permits", "/v1/aois", "/tiles/permits/{z}/{x}/{y}.mvt", "/auth/login"} <= set(doc["paths"])
    assert user.get("/docs").status_code == 200
