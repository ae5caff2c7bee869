"""Pro API benchmark (a script that prints figures, not a test), over the web benchmark's
1,000,000-permit database and `permitwatch web` on loopback:

  overhead  the same read (GET /v1/permits/{status number}) with a session cookie and with an
            API key, interleaved on one keep-alive connection; and, in-process, the key's own
            steps (digest lookup, and one script for the windows, the monthly quota and the count) beside the
            session lookup they replace. The key's admission must add under 2 ms p95.
  load      CLIENTS concurrent clients on one key whose policy is PER_MINUTE a minute (burst a
            sixth of it a second), hammering for SECONDS: what the limiter admitted must be
            exactly the policy's allowance (never more), and after the sweep's flush the
            metered requests must equal the requests sent (admitted and refused).

Usage:  .venv/bin/python tests/benchmarks/bench_api.py [--runs 400] [--clients 8] [--seconds 8] [--per-minute 120]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from redis import Redis

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services import localstack  # noqa: E402
from services.apikeys import limiter, limits, store  # noqa: E402
from services.entitlements.decide import entitlements, require_feature, require_writable  # noqa: E402
from services.entitlements.plans import API  # noqa: E402
from services.tenancy import sessions  # noqa: E402
from tests.benchmarks.bench_ingest import BENCH  # noqa: E402
from tests.benchmarks.bench_web import ensure_data, pct, serve, signed_up, summary, timed_ms  # noqa: E402


def _quota(child: dict, workspace_id: str, per_minute: int) -> None:
    with psycopg.connect(child["PERMITWATCH_DATABASE_OWNER_URL"]) as conn:
        conn.execute("""INSERT INTO workspace_quotas (workspace_id, managed_by, api_rate_per_minute, api_calls_per_month)
                        VALUES (%s, 'bench', %s, 100000000) ON CONFLICT (workspace_id) DO UPDATE
                        SET api_rate_per_minute = EXCLUDED.api_rate_per_minute, api_calls_per_month = EXCLUDED.api_calls_per_month""",
                     (workspace_id, per_minute))


def _make_key(http: httpx.Client, h: dict, name: str) -> dict:
    r = http.post("/v1/api-keys", json={"name": name, "scopes": ["permits:read"]}, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def bench_overhead(http: httpx.Client, h: dict, child: dict, runs: int) -> dict:
    key = _make_key(http, h, "overhead")["key"]
    workspace = http.get("/auth/me").json()["workspace_id"]
    _quota(child, workspace, 10_000_000)
    ref = http.get("/v1/permits", params={"limit": 1}).json()["items"][0]["status_number"]
    bearer = {"Authorization": f"Bearer {key}"}
    keyed = httpx.Client(base_url=str(http.base_url), timeout=60)  # no cookies: the key alone
    session_ms, key_ms = [], []
    for i in range(runs + 20):
        for client, headers, out in ((http, {}, session_ms), (keyed, bearer, key_ms)):
            t = time.perf_counter()
            r = client.get(f"/v1/permits/{ref}", headers=headers)
            took = (time.perf_counter() - t) * 1000
            assert r.status_code == 200, r.text
            if i >= 20:  # warm-up
                out.append(took)
    keyed.close()

    # In-process: the steps themselves, on one connection, as the request's unit of work runs them.
    redis = Redis.from_url(child["PERMITWATCH_REDIS_URL"])
    token = http.cookies["pw_session"]
    steps_key, steps_session = [], []
    with psycopg.connect(child["PERMITWATCH_DATABASE_URL"]) as conn:
        for i in range(runs + 20):
            with conn.transaction():  # BEGIN and COMMIT are the request's anyway: not timed
                cur = conn.cursor()
                t = time.perf_counter()
                principal = store.authenticate(cur, key, "127.0.0.1")
                ent = entitlements(principal.billing, datetime.now(UTC))
                require_feature(ent, API)
                require_writable(ent)
                policy = limits.policy_for(principal.rate_per_minute, ent.limits.api_calls_per_month, default_per_minute=60,
                                           default_per_month=None)
                limiter.admit(redis, conn, principal.key_id, principal.workspace_id, policy)
                k = (time.perf_counter() - t) * 1000
            with conn.transaction():
                t = time.perf_counter()
                assert sessions.load(conn.cursor(), token) is not None
                s = (time.perf_counter() - t) * 1000
            if i >= 20:
                steps_key.append(k)
                steps_session.append(s)
        ping = timed_ms(lambda: conn.execute("SELECT 1").fetchone(), runs)
    out = {"session_request_ms": summary(session_ms), "key_request_ms": summary(key_ms),
           "added_p50_ms": round(statistics.median(key_ms) - statistics.median(session_ms), 2),
           "added_p95_ms": round(pct(key_ms, 95) - pct(session_ms, 95), 2),
           "key_steps_ms": summary(steps_key), "session_lookup_ms": summary(steps_session), "db_round_trip_ms": summary(ping)}
    print(f"\noverhead, GET /v1/permits/{{ref}}, {runs} interleaved runs; ms p50 / p95")
    print(f"  with a session cookie     {out['session_request_ms']['p50']:6.2f} / {out['session_request_ms']['p95']:6.2f}")
    print(f"  with an API key           {out['key_request_ms']['p50']:6.2f} / {out['key_request_ms']['p95']:6.2f}"
          f"   (key - session: {out['added_p50_ms']:+.2f} / {out['added_p95_ms']:+.2f})")
    print(f"  in-process: key lookup + windows + quota + count  {out['key_steps_ms']['p50']:5.2f} / {out['key_steps_ms']['p95']:5.2f}"
          f"   beside the session lookup {out['session_lookup_ms']['p50']:5.2f} / {out['session_lookup_ms']['p95']:5.2f}"
          f" and one database round trip (SELECT 1) {out['db_round_trip_ms']['p50']:5.2f} / {out['db_round_trip_ms']['p95']:5.2f}")
    return out


def bench_load(base: str, http: httpx.Client, h: dict, child: dict, clients: int, seconds: float, per_minute: int) -> dict:
    """A fresh workspace (so its quota row is its own) and one key, hammered from CLIENTS threads."""
    with httpx.Client(base_url=base, timeout=60) as owner:
        oh = signed_up(owner)
        workspace = owner.get("/auth/me").json()["workspace_id"]
        _quota(child, workspace, per_minute)
        made = _make_key(owner, oh, "load")
    policy = limits.policy_for(per_minute, 100_000_000, default_per_minute=60, default_per_month=100_000)
    ref = http.get("/v1/permits", params={"limit": 1}).json()["items"][0]["status_number"]
    codes: list[int] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        mine = []
        with httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {made['key']}"}) as c:
            while time.monotonic() < stop:
                mine.append(c.get(f"/v1/permits/{ref}").status_code)
        with lock:
            codes.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    admitted, refused = codes.count(200), codes.count(429)
    assert admitted + refused == len(codes), f"unexpected statuses: {sorted(set(codes))}"
    # What the policy lets through in this time: the burst per second, capped by the minute.
    allowance = min(policy.per_minute, policy.burst * (int(took) + 1))
    redis = Redis.from_url(child["PERMITWATCH_REDIS_URL"])
    time.sleep(0.5)  # the last responses' counts are written as they leave the server
    with psycopg.connect(child["PERMITWATCH_DATABASE_OWNER_URL"]) as conn:
        limiter.flush(redis, conn)
        metered = conn.execute("SELECT coalesce(sum(requests), 0), coalesce(sum(errors), 0) FROM api_usage_daily WHERE api_key_id = %s",
                               (made["id"],)).fetchone()
    out = {"clients": clients, "seconds": round(took, 1), "per_minute": policy.per_minute, "burst_per_second": policy.burst,
           "sent": len(codes), "admitted": admitted, "refused_429": refused, "allowance": allowance,
           "metered_requests": metered[0], "metered_errors": metered[1], "requests_per_second": round(len(codes) / took)}
    print(f"\nload: {clients} clients on one key for {took:.1f} s; policy {policy.per_minute}/minute, burst {policy.burst}/second")
    print(f"  sent {len(codes):,} ({out['requests_per_second']}/s): admitted {admitted}, refused 429 {refused}; the policy allows "
          f"at most {allowance} in this time -> {'HOLDS' if admitted <= allowance else 'BROKEN'}"
          f"{' exactly' if admitted == allowance else ''}")
    print(f"  metered after the flush: {metered[0]:,} requests ({metered[1]:,} errors) for {len(codes):,} sent, {refused:,} refused -> "
          f"{'EQUAL' if metered[0] == len(codes) and metered[1] == refused else 'DIFFERENT'}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--per-minute", type=int, default=120)
    args = parser.parse_args()
    env = localstack.up()
    child = ensure_data(env)
    with serve(child, "api-server.log") as base, httpx.Client(base_url=base, timeout=60) as http:
        h = signed_up(http)
        print(f"machine: {os.cpu_count()} cores; server: `permitwatch web` (1 uvicorn worker) on loopback; client: httpx")
        results = {"overhead": bench_overhead(http, h, child, args.runs),
                   "load": bench_load(base, http, h, child, args.clients, args.seconds, args.per_minute)}
    (BENCH / "api-results.json").write_text(json.dumps(results, indent=1))
    print(f"\nresults: {BENCH / 'api-results.json'}")


if __name__ == "__main__":
    main()
