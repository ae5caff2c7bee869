"""Pure pieces of the web app: credentials, roles, drawn shapes and buffer units, file
imports, the tile SQL's choice of shape, and the staleness verdict."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import shapefile

from services.areas import imports, shapes
from services.ingestion.freshness import is_stale
from services.permits import tiles
from services.tenancy import credentials as C
from services.tenancy import roles


def test_passwords_hash_with_argon2id_and_verify_in_constant_shape():
    h = C.hash_password("correct horse battery")
    assert h.startswith("$argon2id$") and C.verify_password(h, "correct horse battery")
    assert not C.verify_password(h, "correct horse batterY")
    assert not C.verify_password(None, "anything at all")  # unknown user: a dummy hash is checked, still False
    assert not C.verify_password("!", "anything at all")  # accounts made by the CLI have no password


@pytest.mark.parametrize("pw, email, words", [
    ("short", "a@b.co", "at least 10"), ("a@b.co", "a@b.co", "at least 10"), ("aaaaaaaaaaaa", "x@y.co", "repetitive"),
    ("someone@example.com", "someone@example.com", "e-mail"),
])
def test_password_policy_says_what_is_wrong(pw, email, words):
    with pytest.raises(C.CredentialError, match=words):
        C.check_password(pw, email)


def test_emails_normalize_the_domain_only():
    assert C.normalize_email("  Ann.Lee@Example.COM ") == "Ann.Lee@example.com"
    for bad in ("", "no-at-sign", "a@nodot", "a b@c.de"):
        with pytest.raises(C.CredentialError):
            C.normalize_email(bad)


def test_tokens_are_stored_hashed_and_csrf_is_bound_to_the_session():
    token, digest = C.new_token()
    assert digest == C.token_hash(token) and token not in digest and len(token) >= 40
    a, b = C.csrf_token("k", "session-a"), C.csrf_token("k", "session-b")
    assert a != b and C.csrf_token("other key", "session-a") != a and C.same_secret(a, C.csrf_token("k", "session-a"))


def test_role_rules():
    roles.check_role_change("owner", "member", "admin", owners=1)
    roles.check_role_change("admin", "member", "admin", owners=1)
    with pytest.raises(roles.Forbidden, match="only an owner"):
        roles.check_role_change("admin", "member", "owner", owners=1)
    with pytest.raises(roles.Forbidden, match="at least one owner"):
        roles.check_role_change("owner", "owner", "member", owners=1)
    roles.check_role_change("owner", "owner", "member", owners=2)
    with pytest.raises(roles.Forbidden):
        roles.check_role_change("member", "member", None, owners=1)


@pytest.mark.parametrize("value, unit, metres", [(500, "ft", 152), (1, "mi", 1609), (250, "m", 250), (0, "mi", 0), ("2.5", "mi", 4023)])
def test_buffer_units(value, unit, metres):
    assert shapes.buffer_meters(value, unit) == metres


def test_buffer_limits_and_units_are_checked():
    with pytest.raises(shapes.ShapeError, match="between 0 and 62"):
        shapes.buffer_meters(100, "mi")
    with pytest.raises(shapes.ShapeError, match="one of"):
        shapes.buffer_meters(1, "km")
    with pytest.raises(shapes.ShapeError):
        shapes.buffer_meters(-1, "m")


def test_drawn_shapes():
    open_ring = {"type": "Polygon", "coordinates": [[[-102, 31], [-101, 31], [-101, 32]]]}
    poly = shapes.from_request("polygon", {"geometry": open_ring}, 0, "m")
    assert poly.geometry["type"] == "MultiPolygon" and poly.geometry["coordinates"][0][0][-1] == [-102.0, 31.0]  # closed
    rect = shapes.from_request("rectangle", {"bbox": [-102, 31, -101, 32]}, 1, "mi")
    assert rect.buffer_m == 1609 and len(rect.geometry["coordinates"][0][0]) == 5
    circle = shapes.from_request("circle", {"center": [-102, 31], "radius": 2, "radius_unit": "mi"}, 0, "ft")
    assert circle.geometry is None and circle.shape == {"kind": "circle", "center": [-102.0, 31.0], "radius_m": 3219}
    with pytest.raises(shapes.ShapeError, match="min < max"):
        shapes.from_request("rectangle", {"bbox": [-101, 31, -102, 32]}, 0, "m")
    with pytest.raises(shapes.ShapeError, match="polygon, rectangle or circle"):
        shapes.from_request("hexagon", {}, 0, "m")


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def test_geojson_kml_and_shapefile_imports_name_each_polygon():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"NAME": "North"}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [[[[2, 2], [3, 2], [3, 3], [2, 2]]]]}}]}
    kind, areas = imports.parse("tracts.geojson", json.dumps(fc).encode())
    assert kind == "geojson" and [n for n, _ in areas] == ["North", "tracts 2"]
    kml = (b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>Unit</name><MultiGeometry>'
           b'<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs>'
           b'<innerBoundaryIs><LinearRing><coordinates>0.2,0.1 0.8,0.1 0.8,0.5 0.2,0.1</coordinates></LinearRing></innerBoundaryIs></Polygon>'
           b'</MultiGeometry></Placemark></kml>')
    kind, areas = imports.parse("u.kml", kml)
    assert kind == "kml" and areas[0][0] == "Unit" and len(areas[0][1]["coordinates"][0]) == 2  # outer ring + hole
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    w = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON)
    w.field("LEASE_NAME", "C")
    w.poly([[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]])
    w.record("Smith A")
    w.close()
    kind, areas = imports.parse("x.zip", _zip({"a.shp": shp.getvalue(), "a.shx": shx.getvalue(), "a.dbf": dbf.getvalue()}))
    assert kind == "shapefile" and areas[0][0] == "Smith A"


def test_hostile_and_broken_files_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><kml>&b;</kml>'
    with pytest.raises(shapes.ShapeError, match="not readable KML"):
        imports.parse("bomb.kml", bomb)
    with pytest.raises(shapes.ShapeError, match="no .shx"):
        imports.parse("x.zip", _zip({"a.shp": b"", "a.dbf": b""}))
    with pytest.raises(shapes.ShapeError, match="larger than"):
        imports.parse("big.geojson", b"{" + b" " * imports.MAX_BYTES + b"}")


def test_tile_shape_follows_zoom_and_filters():
    assert tiles.mode(4, {}) == "grid" and tiles.mode(9, {"counties": ["003"]}) == "grid"
    assert tiles.mode(9, {"operator_ids": ["x"]}) == "grid_live" and tiles.mode(6, {"issued_from": "2026-01-01"}) == "grid_live"
    assert tiles.mode(10, {}) == "grid" and tiles.mode(11, {}) == "points"
    sql, params = tiles.tile_sql(6, 13, 26, {"counties": ["003"]})
    assert "permit_grid" in sql and "g.county_code = ANY" in sql and params["cx0"] == 13 * 16 - 1
    sql, _ = tiles.tile_sql(14, 3527, 6664, {"profiles": ["horizontal"]})
    assert "permits_current" in sql and "c.wellbore_profile = ANY" in sql and "permit_grid" not in sql
    with pytest.raises(tiles.TileError):
        tiles.tile_sql(3, 8, 0, {})


def test_staleness_follows_the_rrc_publication_calendar():
    grace = timedelta(hours=6)
    friday = datetime(2026, 11, 20, 15, 45, tzinfo=UTC)  # 09:45 Central
    assert not is_stale(friday, datetime(2026, 11, 23, 15, tzinfo=UTC), grace)  # Monday 09:00: the file is not due yet
    assert is_stale(friday, datetime(2026, 11, 23, 22, 30, tzinfo=UTC), grace)  # Monday 16:30: due at 10:00 + 6 h
    wednesday = datetime(2026, 11, 25, 15, 45, tzinfo=UTC)
    # Thanksgiving and the day after are state closure days, then a weekend: late only on Monday afternoon.
    assert not is_stale(wednesday, datetime(2026, 11, 29, 23, tzinfo=UTC), grace)
    assert is_stale(wednesday, datetime(2026, 11, 30, 23, tzinfo=UTC), grace)
    assert is_stale(None, wednesday, grace)


def test_texas_closure_days_are_not_publication_days_and_optional_holidays_are():
    from datetime import date

    from services.reference.calendar import closure_days, is_publication_day, publication_days

    assert closure_days(2026)[date(2026, 11, 26)] == "Thanksgiving Day" and not is_publication_day(date(2026, 11, 27))
    assert not is_publication_day(date(2026, 5, 25)) and not is_publication_day(date(2026, 1, 19))  # Memorial Day, MLK Day
    assert is_publication_day(date(2026, 3, 2)) and is_publication_day(date(2026, 4, 21))  # optional: offices open
    assert publication_days(date(2026, 12, 23), date(2026, 12, 31)) == [date(2026, 12, 28), date(2026, 12, 29),
                                                                       date(2026, 12, 30), date(2026, 12, 31)]
