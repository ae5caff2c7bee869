"""Vector tiles decoded: grid counts at low zoom add up to the permits in the tile, points
carry their thin attributes, filters apply, Redis caching with ETags, and ingestion
retires cached tiles."""

from __future__ import annotations

import mapbox_vector_tile
import psycopg
import pytest

from services.ingestion.pipeline import ingest
from tests.conftest import sample

ANDREWS = (-102.272228, 32.288362)


def _tile_of(lon, lat, z):
    import math

    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _count_in(conn, z, x, y, where="TRUE"):
    return conn.execute(f"SELECT count(*) FROM permits_current c WHERE c.geom_3857 && ST_TileEnvelope(%s, %s, %s) "
                        f"AND ST_Intersects(c.geom_3857, ST_TileEnvelope(%s, %s, %s)) AND {where}", (z, x, y, z, x, y)).fetchone()[0]


def _decode(r):
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(r.content)["permits"]["features"]


@pytest.fixture
def user(visitor, web_settings):
    ingest(web_settings, str(sample("2026-07-28")))
    b = visitor()
    b.signup("tiles@example.com")
    return b


@pytest.mark.parametrize("z", [4, 6, 9])
def test_low_zoom_tiles_count_every_permit_in_grid_cells(user, web_settings, z):
    zxy = _tile_of(*ANDREWS, z)
    feats = _decode(user.get("/tiles/permits/{}/{}/{}.mvt".format(*zxy)))
    with psycopg.connect(web_settings.database_url) as conn:
        expected = _count_in(conn, *zxy)
    inside = [f for f in feats if all(0 <= c < 4096 for c in f["geometry"]["coordinates"])]
    assert expected > 0 and sum(f["properties"]["count"] for f in inside) == expected
    assert all(set(f["properties"]) == {"count"} for f in feats)
    assert len(feats) <= 18 * 18  # one feature per cell at most: no tile is heavy


def test_deep_tiles_carry_thin_permit_attributes(user, web_settings):
    zxy = _tile_of(*ANDREWS, 12)
    feats = _decode(user.get("/tiles/permits/{}/{}/{}.mvt".format(*zxy)))
    with psycopg.connect(web_settings.database_url) as conn:
        numbers = {r[0] for r in conn.execute(
            "SELECT status_number FROM permits_current WHERE geom_3857 && ST_TileEnvelope(%s, %s, %s, margin => 64.0/4096)", zxy).fetchall()}
    assert {f"{f['id']:07d}" for f in feats} == numbers and "0916878" in numbers
    f = next(f for f in feats if f["id"] == 916878)
    assert set(f["properties"]) <= {"p", "s", "w"} and f["properties"]["s"] == "approved"


def test_filters_apply_to_tiles_as_to_the_list(user, web_settings):
    zxy = _tile_of(*ANDREWS, 12)
    horizontal = _decode(user.get("/tiles/permits/{}/{}/{}.mvt".format(*zxy), params={"profiles": "horizontal"}))
    assert horizontal and {f["properties"]["w"] for f in horizontal} == {"horizontal"}
    low = _tile_of(*ANDREWS, 6)
    with psycopg.connect(web_settings.database_url) as conn:
        op = conn.execute("SELECT operator_id::text FROM permits_current WHERE status_number = '0916878'").fetchone()[0]
        expected = _count_in(conn, *low, f"c.operator_id = '{op}'")
    by_operator = _decode(user.get("/tiles/permits/{}/{}/{}.mvt".format(*low), params={"operator_ids": op}))
    inside = [f for f in by_operator if all(0 <= c < 4096 for c in f["geometry"]["coordinates"])]
    assert sum(f["properties"]["count"] for f in inside) == expected > 0  # counted live (operator is not in the grid)
    bad = user.get("/tiles/permits/{}/{}/{}.mvt".format(*low), params={"statuses": "nope"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert user.get("/tiles/permits/3/9/1.mvt").status_code == 400  # x out of range at zoom 3


def test_tiles_are_cached_revalidated_and_retired_by_ingestion(user, web_settings):
    url = "/tiles/permits/{}/{}/{}.mvt".format(*_tile_of(*ANDREWS, 8))
    first = user.get(url)
    second = user.get(url)
    assert (first.headers["x-tile-cache"], second.headers["x-tile-cache"]) == ("miss", "hit")
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert "private" in first.headers["cache-control"]
    not_modified = user.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not not_modified.content
    before = sum(f["properties"]["count"] for f in _decode(first))
    ingest(web_settings, str(sample("2026-07-31")))  # 16 new located permits, some in this tile
    after = user.get(url)
    assert after.headers["x-tile-cache"] == "miss" and after.headers["etag"] != first.headers["etag"]
    assert sum(f["properties"]["count"] for f in _decode(after)) > before
    assert user.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 200


def test_tiles_need_a_session_and_the_counties_base_map_is_served(user, visitor):
    anon = visitor()
    assert anon.get("/tiles/permits/6/14/26.mvt").status_code == 401
    counties = mapbox_vector_tile.decode(user.get("/tiles/counties/{}/{}/{}.mvt".format(*_tile_of(*ANDREWS, 7))).content)["counties"]["features"]
    assert "Andrews" in {f["properties"]["name"] for f in counties}


def test_a_tile_pass_serves_permit_tiles_without_the_session_until_it_is_forged_expired_or_signed_out(user, visitor, web_settings):
    from services.tenancy import tile_pass

    url = "/tiles/permits/{}/{}/{}.mvt".format(*_tile_of(*ANDREWS, 12))
    first = user.get(url)
    assert first.status_code == 200 and tile_pass.COOKIE in first.cookies
    good = first.cookies[tile_pass.COOKIE]
    alone = visitor()  # no session cookie at all: the pass is enough for permit tiles
    alone.http.cookies.set(tile_pass.COOKIE, good, path=tile_pass.PATH)
    by_pass = alone.get(url)
    assert by_pass.status_code == 200 and by_pass.content == first.content and tile_pass.COOKIE not in by_pass.cookies
    assert alone.get("/v1/permits").status_code == 401  # and for nothing else
    grouped = alone.get(url, params={"operator_groups": "00000000-0000-0000-0000-000000000000"})
    assert grouped.status_code == 401  # a tile that needs the workspace takes the session
    user_id, expires, _ = good.split(".")
    for bad in (f"{user_id}.{int(expires) + 3600}.{good.split('.')[2]}",  # a longer life, same signature
                tile_pass.make("another-secret", user_id, 1e10), tile_pass.make(web_settings.secret_key, user_id, 0)):  # expired
        forged = visitor()
        forged.http.cookies.set(tile_pass.COOKIE, bad, path=tile_pass.PATH)
        assert forged.get(url).status_code == 401, bad
    out = user.post("/auth/logout")
    deleted = [c for c in out.headers.get_list("set-cookie") if c.startswith(f"{tile_pass.COOKIE}=")]
    assert out.status_code == 204 and len(deleted) == 1 and "Max-Age=0" in deleted[0] and f"Path={tile_pass.PATH}" in deleted[0]
