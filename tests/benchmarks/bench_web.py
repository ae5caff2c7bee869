"""Web benchmark at 1,000,000 permits (a script that prints figures, not a test).

Loads the generated 1M-permit daf420 file (the ingest benchmark's, cached under .local/bench)
into its own database once (kept and reused with --keep), starts `permitwatch web` as a child
process, signs a user up over HTTP, and measures over one keep-alive HTTP connection:

  list    GET /v1/permits for a county-sized AOI (the densest county's outline), first page of
          100, unfiltered and filtered; beside the same SQL run directly (psycopg)
  search  the search box (status number, API number, a lease word, an abstract) with the total
          count, beside the same page and count SQL
  tiles   zooms 4 to 16 over the densest spot: the server uncached (the tile generation is
          bumped before each request, outside the timing), the server cached, and the same
          tile SQL run directly; plus, up to zoom 9, the naive raw-points ST_AsMVT query the
          grid replaces (tiles-baseline.md's SQL), to show what aggregation saves; and the
          peer tile server, tipg 1.6.1 (installed into .local/bench/tipg-venv on first use),
          over the same table and database, configured as tiles-baseline.md's "B": every
          point, buffer 64, the 3857 column, two properties, uncompressed

Every figure is a median and p95 over repeated requests; ratios are taken within this run.

Usage:  .venv/bin/python tests/benchmarks/bench_web.py [--runs 40] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from redis import Redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services import localstack  # noqa: E402
from services.api.app import WEB_SESSION_OPTIONS  # noqa: E402
from services.permits import search, tile_cache, tiles  # noqa: E402
from tests.benchmarks.bench_ingest import BENCH, _with_db, fresh_database, timed  # noqa: E402

DB = "permitwatch_bench_web"
SIZE = 1_000_000
NAIVE = ("SELECT ST_AsMVT(q, 'permits', 4096, 'geom') FROM (SELECT status_number, status, "
         "ST_AsMVTGeom(geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom FROM permits_current "
         "WHERE geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0/4096)) q")


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, math.ceil(p / 100 * len(xs)) - 1)]


def summary(ms: list[float]) -> dict:
    return {"p50": round(statistics.median(ms), 2), "p95": round(pct(ms, 95), 2), "n": len(ms)}


def ensure_data(env: dict) -> dict:
    child = {k: v for k, v in os.environ.items() if not k.startswith("PERMITWATCH_")}
    child.update({"PERMITWATCH_DATABASE_URL": _with_db(env["PERMITWATCH_DATABASE_URL"], DB),
                  "PERMITWATCH_DATABASE_OWNER_URL": _with_db(env["PERMITWATCH_DATABASE_OWNER_URL"], DB),
                  "PERMITWATCH_WORKER_DATABASE_URL": _with_db(env["PERMITWATCH_WORKER_DATABASE_URL"], DB),
                  "PERMITWATCH_REDIS_URL": env["PERMITWATCH_REDIS_URL"].rsplit("/", 1)[0] + "/14",
                  "PERMITWATCH_SECRET_KEY": env["PERMITWATCH_SECRET_KEY"], "PERMITWATCH_ENQUEUE_EVALUATION": "false",
                  "PERMITWATCH_DATA_DIR": str(BENCH / "data")})
    try:
        with psycopg.connect(child["PERMITWATCH_DATABASE_URL"]) as conn:
            have = conn.execute("SELECT count(*) FROM permits_current").fetchone()[0]
    except psycopg.Error:
        have = 0
    if have >= SIZE * 0.9:
        print(f"reusing {DB}: {have:,} permits", flush=True)
        subprocess.run([sys.executable, "-m", "services", "db", "upgrade"], env=child, check=True)  # the code's schema
        return steady(child)
    files = sorted((BENCH / f"p{SIZE}").glob("*.dat*"))
    if not files:
        raise SystemExit(f"no 1M file under {BENCH}; run tests/benchmarks/bench_ingest.py --sizes {SIZE} --keep first")
    fresh_database(env, DB)
    print(f"loading {files[-1].name} into {DB} (about 3 minutes)…", flush=True)
    seconds, _, code = timed([sys.executable, "-m", "services", "ingest", "file", str(files[-1])], child)
    if code:
        raise SystemExit("load failed")
    print(f"loaded in {seconds:.0f} s (ingest, grid refresh included)", flush=True)
    return steady(child)


def steady(child: dict) -> dict:
    """Measure the steady state that autovacuum reaches: hint bits set, visibility map and
    statistics current. Right after a bulk load, first reads also write (hint bits), and
    plans follow stale statistics; that costs up to 6x here and is not what users see."""
    with psycopg.connect(child["PERMITWATCH_DATABASE_OWNER_URL"], autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) permits_current")
        conn.execute("VACUUM (ANALYZE) permit_grid")
    return child


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def densest(conn) -> tuple[float, float, str]:
    """Centre of the z10 tile with the most permits, and the county with the most permits."""
    lon, lat = conn.execute(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Transform(ST_Centroid(ST_Collect(geom_3857)), 4326) AS c, count(*) AS n "
        "FROM permits_current WHERE geom_3857 IS NOT NULL GROUP BY floor(ST_X(geom_3857) / 39135.76), floor(ST_Y(geom_3857) / 39135.76) "
        "ORDER BY n DESC LIMIT 1) s").fetchone()
    county = conn.execute("SELECT county_code FROM permits_current GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    return lon, lat, county


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def timed_ms(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def bench_list(http: httpx.Client, h: dict, conn, county: str, runs: int) -> dict:
    outline = conn.execute("SELECT ST_AsGeoJSON(geom)::json, name, ST_Area(geom::geography) / 1e6 FROM ref_counties WHERE code = %s",
                           (county,)).fetchone()
    conn.commit()
    aoi = http.post("/v1/aois", json={"name": outline[1], "geometry": outline[0]}, headers=h).json()["id"]
    print(f"\nlist: AOI = {outline[1]} County outline ({outline[2]:,.0f} km2)")
    out = {"aoi": outline[1], "aoi_km2": round(outline[2])}
    cases = {"unfiltered": {}, "horizontal+approved": {"profiles": "horizontal", "statuses": "approved"}}
    for label, extra in cases.items():
        params = {"aoi": aoi, "limit": 100, **extra}
        r = http.get("/v1/permits", params=params)
        assert r.status_code == 200, r.text
        server = timed_ms(lambda p=params: http.get("/v1/permits", params=p).raise_for_status(), runs)
        q = search.parse({"area": outline[0], "limit": 100, **{k: [v] for k, v in extra.items()}})
        stmt, args = search.build_sql(q)
        conn.execute("SET plan_cache_mode = force_custom_plan")  # as services.permits.store.search does
        raw = timed_ms(lambda s=stmt, a=args: conn.execute(s, a).fetchall(), runs)
        conn.execute("RESET plan_cache_mode")
        conn.commit()
        out[label] = {"items": r.json()["count"], "server_ms": summary(server), "raw_sql_ms": summary(raw),
                      "ratio_p50": round(statistics.median(server) / statistics.median(raw), 2)}
        print(f"  {label:>20}: {out[label]['items']} items  server p50 {out[label]['server_ms']['p50']:7.2f} ms  "
              f"p95 {out[label]['server_ms']['p95']:7.2f} ms   raw SQL p50 {out[label]['raw_sql_ms']['p50']:7.2f} ms  "
              f"ratio {out[label]['ratio_p50']}")
    return out


def bench_search_box(http: httpx.Client, conn, runs: int) -> dict:
    """The search box (`q`, with the first page's total) beside the same page and count SQL run directly."""
    status, api, lease = conn.execute("SELECT status_number, api_number, split_part(lease_name, ' ', 1) FROM permits_current "
                                      "WHERE api_number IS NOT NULL AND lease_name IS NOT NULL ORDER BY permit_id LIMIT 1").fetchone()
    abstract = conn.execute("SELECT substring(legal_text from 'A-[0-9]+') FROM permits_current "
                            "WHERE legal_text ~ 'A-[0-9]+' LIMIT 1").fetchone()[0]
    conn.commit()
    print("\nsearch box (q, first page of 50 with its total)")
    out = {}
    for label, text in (("status number", status.lstrip("0")), ("API number", api.replace("-", "")), ("lease word", lease),
                        ("abstract", abstract)):
        params = {"q": text, "limit": 50, "with_total": "true"}
        r = http.get("/v1/permits", params=params)
        assert r.status_code == 200, r.text
        server = timed_ms(lambda p=params: http.get("/v1/permits", params=p).raise_for_status(), runs)
        q = search.parse({"q": text, "limit": 50})
        page, count = search.build_sql(q), search.count_sql(q)

        def raw(page=page, count=count, limit=q.limit):
            rows = conn.execute(*page).fetchall()
            if len(rows) > limit:
                conn.execute(*count).fetchone()
        raw_ms = timed_ms(raw, runs)
        conn.commit()
        out[label] = {"q": text, "total": r.json()["total"], "server_ms": summary(server), "raw_sql_ms": summary(raw_ms),
                      "ratio_p50": round(statistics.median(server) / statistics.median(raw_ms), 2)}
        print(f"  {label:>14} {text!r:>14}: {out[label]['total']:>7,} found  server p50 {out[label]['server_ms']['p50']:7.2f} ms  "
              f"p95 {out[label]['server_ms']['p95']:7.2f} ms   raw SQL p50 {out[label]['raw_sql_ms']['p50']:7.2f} ms  "
              f"ratio {out[label]['ratio_p50']}")
    return out


TIPG = BENCH / "tipg-venv"
TIPG_VERSION = "1.6.1"
TIPG_QUERY = {"geom-column": "geom_3857", "properties": "status_number,status"}


@contextlib.contextmanager
def tipg(child: dict):
    """tipg on a free port over the benchmark database (its own venv, made once); its tile URL
    template, or None when it cannot be installed here."""
    if not (TIPG / "bin" / "uvicorn").exists():
        print(f"installing tipg {TIPG_VERSION} into {TIPG} (once)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TIPG)], check=True)
        done = subprocess.run([str(TIPG / "bin" / "pip"), "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn"], check=False)
        if done.returncode:
            print("tipg could not be installed: no peer column", flush=True)
            yield None
            return
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("PERMITWATCH_", "TIPG_"))},
           "DATABASE_URL": child["PERMITWATCH_DATABASE_OWNER_URL"], "TIPG_MAX_FEATURES_PER_TILE": "1000000", "TIPG_TILE_BUFFER": "64",
           "TIPG_DB_SCHEMAS": '["public"]'}
    log = (BENCH / "tipg.log").open("w")
    server = subprocess.Popen([str(TIPG / "bin" / "uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                              env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}/collections/public.permits_current/tiles/WebMercatorQuad"
    try:
        for _ in range(600):  # it reads the whole catalogue first: half a minute here
            try:
                if httpx.get(f"http://127.0.0.1:{port}/collections", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def bench_tiles(http: httpx.Client, conn, redis: Redis, lon: float, lat: float, runs: int, peer: str | None = None) -> list[dict]:
    print(f"\ntiles over the densest spot ({lon:.3f}, {lat:.3f}); ms p50/p95")
    print(f"{'z':>3} {'mode':>7} {'feat':>6} {'bytes':>9} | {'raw SQL':>15} | {'uncached':>15} | {'cached':>13} | {'ratio':>5} | "
          f"{'tipg':>15} | naive points")
    peer_http = httpx.Client(timeout=120, headers={"Accept-Encoding": "identity"}) if peer else None
    rows = []
    for z in range(4, 17):
        zxy = tile_of(lon, lat, z)
        url = "/tiles/permits/{}/{}/{}.mvt".format(*zxy)
        stmt, args = tiles.tile_sql(*zxy, {})
        data = bytes(conn.execute(stmt, args).fetchone()[0] or b"")
        raw = timed_ms(lambda s=stmt, a=args: conn.execute(s, a).fetchone(), runs)

        def uncached(u=url):
            redis.incr(tile_cache.PERMITS_GEN)
            t = time.perf_counter()
            r = http.get(u)
            r.raise_for_status()
            assert r.headers["x-tile-cache"] == "miss"
            return (time.perf_counter() - t) * 1000

        miss = [uncached() for _ in range(runs)]
        http.get(url)
        hits = timed_ms(lambda u=url: http.get(u).raise_for_status(), runs)
        features = len(__import__("mapbox_vector_tile").decode(data)["permits"]["features"]) if data else 0
        row = {"z": z, "tile": "/".join(map(str, zxy)), "mode": tiles.mode(z, {}), "features": features, "bytes": len(data),
               "raw_sql_ms": summary(raw), "uncached_ms": summary(miss), "cached_ms": summary(hits),
               "ratio_p50": round(statistics.median(miss) / statistics.median(raw), 2)}
        if peer_http is not None:
            purl = "{}/{}/{}/{}".format(peer, *zxy)
            peer_http.get(purl, params=TIPG_QUERY).raise_for_status()
            pt = timed_ms(lambda u=purl: peer_http.get(u, params=TIPG_QUERY).raise_for_status(), runs if z >= 8 else max(3, runs // 8))
            row["tipg_ms"] = summary(pt)
            row["tipg_vs_uncached_p50"] = round(statistics.median(pt) / statistics.median(miss), 2)
        if z <= tiles.GRID_MAX_ZOOM:
            naive = conn.execute(NAIVE, dict(zip("zxy", zxy, strict=True))).fetchone()[0]
            nt = timed_ms(lambda v=dict(zip("zxy", zxy, strict=True)): conn.execute(NAIVE, v).fetchone(), 3)
            row["naive_points"] = {"bytes": len(naive or b""), "ms": summary(nt)}
        conn.commit()
        rows.append(row)
        nv = f"{row['naive_points']['ms']['p50']:8.1f} ms {row['naive_points']['bytes'] / 1e6:6.2f} MB" if "naive_points" in row else ""
        tp = f"{row['tipg_ms']['p50']:6.2f} / {row['tipg_ms']['p95']:6.2f}" if "tipg_ms" in row else "-"
        print(f"{z:>3} {row['mode']:>7} {features:>6} {len(data):>9,} | {row['raw_sql_ms']['p50']:6.2f} / {row['raw_sql_ms']['p95']:6.2f} | "
              f"{row['uncached_ms']['p50']:6.2f} / {row['uncached_ms']['p95']:6.2f} | {row['cached_ms']['p50']:5.2f} / {row['cached_ms']['p95']:5.2f} | "
              f"{row['ratio_p50']:5.2f} | {tp:>15} | {nv}", flush=True)
    if peer_http is not None:
        peer_http.close()
    return rows


@contextlib.contextmanager
def serve(child: dict, log_name: str = "web-server.log"):
    """`permitwatch web` (one uvicorn worker) on a free port, for the block; its base URL."""
    port = free_port()
    log = (BENCH / log_name).open("w")
    server = subprocess.Popen([sys.executable, "-m", "services", "web", "--port", str(port)], env=child, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(100):
                try:
                    http.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def signed_up(http: httpx.Client) -> dict:
    """A new account's session on this client; the CSRF header its writes need."""
    http.get("/auth/me")
    h = {"X-CSRF-Token": http.cookies["pw_csrf"]}
    r = http.post("/auth/signup", json={"email": f"bench{time.time_ns()}@example.com", "password": "benchmark pass 1"}, headers=h)
    assert r.status_code == 201, r.text
    return {"X-CSRF-Token": http.cookies["pw_csrf"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the 1M database for the next run")
    parser.add_argument("--search-only", action="store_true", help="the list and the search box, without the tiles")
    parser.add_argument("--tiles-only", action="store_true", help="the tiles, without the list and the search box")
    parser.add_argument("--no-tipg", action="store_true", help="leave out the peer tile server")
    args = parser.parse_args()
    env = localstack.up()
    child = ensure_data(env)
    with serve(child) as base, (tipg(child) if not (args.no_tipg or args.search_only) else contextlib.nullcontext()) as peer:
        with httpx.Client(base_url=base, timeout=60) as http:
            h = signed_up(http)
            redis = Redis.from_url(child["PERMITWATCH_REDIS_URL"])
            # The raw-SQL side runs with the server pool's session options (services/api/app.py).
            with psycopg.connect(child["PERMITWATCH_DATABASE_URL"], options=WEB_SESSION_OPTIONS) as conn:
                permits = conn.execute("SELECT count(*) FROM permits_current").fetchone()[0]
                lon, lat, county = densest(conn)
                conn.commit()
                print(f"machine: {os.cpu_count()} cores; {permits:,} permits; server: `permitwatch web` (1 uvicorn worker), "
                      f"client: httpx, one keep-alive connection, {args.runs} runs per figure")
                results = {"permits": permits, "runs": args.runs}
                if not args.tiles_only:
                    results |= {"list": bench_list(http, h, conn, county, args.runs), "search_box": bench_search_box(http, conn, args.runs)}
                if not args.search_only:
                    results["tiles"] = bench_tiles(http, conn, redis, lon, lat, args.runs, peer)
    (BENCH / "web-results.json").write_text(json.dumps(results, indent=1))
    print(f"\nresults: {BENCH / 'web-results.json'}")
    if not args.keep:
        with psycopg.connect(_with_db(env["PERMITWATCH_ADMIN_DATABASE_URL"], "postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))


if __name__ == "__main__":
    main()
