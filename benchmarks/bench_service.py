"""Service throughput: POST /v1/quotes per second as a ratio of GET /healthz per second.

    python -m benchmarks.bench_service [--seconds 8] [--rounds 3] [--batch-size 100] [--engine module:callable]

Starts one gunicorn server with the project's config and 2 workers on a free
127.0.0.1 port (temporary SQLite database, a key made with the CLI, rate
limit lifted), then drives it for ``--seconds`` per phase, ``--rounds`` times in
turn (the best round of each phase is reported, every round is printed), with wrk when it is
installed (``wrk -t2 -c16 --latency``, a Lua script for the POST bodies and
the Authorization header; benchmarks/wrk_load.py), else with ``--clients``
Python client processes: GET /healthz (the bare cost of a request through
gunicorn + Flask), POST /v1/quotes (validation, engine, storage), then POST
/v1/quotes/batch of ``--batch-size`` cities. Prints requests/s, p50/p99 of
each, the quotes/healthz ratio (target >= 0.25), the quote p99 (target <=
40 ms), batch quotes/s against single quotes/s (target >= 10x), each
phase's worker CPU per request from /proc (benchmarks/worker_cpu.py) and the
same two ratios by it, which a shared machine's load moves less, and the
in-process split of one quote's time: validation, scoring, explanations,
pricing, storage.

Caveat: on this 2-core machine the load generator competes with the two
workers for the same cores; wrk costs far less than Python clients, which
held /healthz down (issue 13).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from benchmarks.worker_cpu import with_worker_cpu
from tests.support.city import city_exposure
from tests.support.server import serve

DEFAULT_ENGINE = "models.underwriting.quote_engine:load_quote_engine"


def quote_bodies(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` valid quote requests around the sample city, varied with a seeded rng."""
    import numpy as np

    rng = np.random.default_rng(seed)
    bodies = []
    for _ in range(n):
        exposure = city_exposure()
        exposure["prior_incidents_3y"] = int(rng.integers(0, 6))
        exposure["edr_coverage_pct"] = round(float(rng.uniform(40, 100)), 1)
        exposure["pii_records"] = int(rng.integers(10_000, 5_000_000))
        limit = float(rng.choice([1e6, 5e6, 10e6, 25e6]))
        policy = {"limit_usd": limit, "retention_usd": float(rng.choice([0.0, 50e3, 250e3]))}
        bodies.append({"exposure": exposure, "policy": policy})
    return bodies


def _client(
    args: tuple[str, str, dict[str, str], list[Any], float, int],
) -> tuple[int, int, list[float]]:
    """One client process: send requests back to back until the deadline."""
    method, url, headers, bodies, seconds, index = args
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    with requests.Session() as session:
        i = index
        while time.monotonic() < deadline:
            started = time.perf_counter()
            if method == "GET":
                response = session.get(url, headers=headers, timeout=30)
            else:
                response = session.post(
                    url, json=bodies[i % len(bodies)], headers=headers, timeout=30
                )
            latencies.append(time.perf_counter() - started)
            errors += response.status_code >= 400
            i += 1
    return len(latencies), errors, latencies


def run_phase(
    method: str, url: str, headers: dict[str, str], bodies: list[Any], seconds: float, clients: int
) -> dict[str, float]:
    jobs = [(method, url, headers, bodies, seconds, k * 97) for k in range(clients)]
    started = time.monotonic()
    with mp.get_context("fork").Pool(clients) as pool:
        results = pool.map(_client, jobs)
    elapsed = time.monotonic() - started
    latencies = sorted(t for _, _, ts in results for t in ts)
    n = len(latencies)
    return {
        "n": n,
        "errors": sum(e for _, e, _ in results),
        "rps": n / elapsed,
        "p50_ms": 1000 * latencies[n // 2],
        "p99_ms": 1000 * latencies[min(n - 1, int(0.99 * n))],
    }


def in_process_split(engine_spec: str, bodies: list[dict[str, Any]], tmp: Path) -> dict[str, float]:
    """Mean milliseconds per quote of each stage of POST /v1/quotes, in this process.

    validation (the request schema), the engine's own split (scoring,
    explanations, pricing, from its ``last_timings``) and storage (the
    insert of issue_quote: its time less one engine call).
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from service.access.keys import create_key
    from service.engine.slot import resolve_factory
    from service.quotes.fast_requests import QuoteRequestSchema
    from service.quotes.store import issue_quote
    from service.storage.db import Database
    from service.storage.migrate import upgrade_database

    url = f"sqlite:///{tmp / 'split.sqlite3'}"
    upgrade_database(url)
    db = Database(url)
    with db.session() as session, session.begin():
        create_key(session, "bench", "insurer")
    engine = resolve_factory(engine_spec)(None)
    schema = QuoteRequestSchema()
    totals: dict[str, float] = {}

    def add(name: str, seconds: float) -> None:
        totals[name] = totals.get(name, 0.0) + seconds

    for body in [schema.load(b) for b in bodies[:20]]:  # warm-up
        engine.quote(body["exposure"], body["policy"])
    for body in bodies:
        t0 = time.perf_counter()
        request = schema.load(body)
        t1 = time.perf_counter()
        engine.quote(request["exposure"], request["policy"])
        t2 = time.perf_counter()
        timings = dict(getattr(engine, "last_timings", None) or {})
        issue_quote(db, engine, "bench", request["exposure"], request["policy"])
        t3 = time.perf_counter()
        add("validation", t1 - t0)
        for name in STAGES:
            add(name, timings.get(STAGES[name], 0.0))
        add("engine (all)", t2 - t1)
        add("storage", max(0.0, (t3 - t2) - (t2 - t1)))
    db.dispose()
    return {name: 1000 * total / len(bodies) for name, total in totals.items()}


def in_process_batch_split(
    engine_spec: str, batches: list[dict[str, Any]], tmp: Path
) -> dict[str, float]:
    """Mean milliseconds per quote of each stage of POST /v1/quotes/batch, in this process."""
    from service.engine.slot import resolve_factory
    from service.quotes.fast_requests import QuoteBatchRequestSchema
    from service.quotes.store import issue_quotes
    from service.storage.db import Database

    db = Database(f"sqlite:///{tmp / 'split.sqlite3'}")  # migrated by in_process_split
    engine = resolve_factory(engine_spec)(None)
    schema = QuoteBatchRequestSchema()
    totals: dict[str, float] = {}
    quotes = 0
    for batch in batches:
        t0 = time.perf_counter()
        items = schema.load(batch)["quotes"]
        t1 = time.perf_counter()
        engine.quote_batch([(i["exposure"], i["policy"], 0.0) for i in items])
        t2 = time.perf_counter()
        timings = dict(getattr(engine, "last_timings", None) or {})  # per quote already
        issue_quotes(db, engine, "bench", items)
        t3 = time.perf_counter()
        n = len(items)
        quotes += n
        totals["validation"] = totals.get("validation", 0.0) + (t1 - t0)
        for name, key in STAGES.items():
            totals[name] = totals.get(name, 0.0) + timings.get(key, 0.0) * n
        totals["engine (all)"] = totals.get("engine (all)", 0.0) + (t2 - t1)
        totals["storage"] = totals.get("storage", 0.0) + max(0.0, (t3 - t2) - (t2 - t1))
    db.dispose()
    return {name: 1000 * total / quotes for name, total in totals.items()}


#: The breakdown's names for the engine's ``last_timings`` keys.
STAGES = {"scoring": "prediction", "explanations": "explanations", "pricing": "pricing"}


def engine_batches(base: str) -> tuple[float, float]:
    """(engine calls, single quotes they priced) from the server's /metrics, all workers.

    Single quotes that meet in a worker are priced in one engine call
    (service/quotes/coalescing.py); the batch endpoint does not count here.
    """
    totals = {"_count": 0.0, "_sum": 0.0}
    for line in requests.get(f"{base}/metrics", timeout=10).text.splitlines():
        name, _, value = line.partition(" ")
        for suffix in totals:
            if name == f"polisure_quote_engine_batch_size{suffix}":
                totals[suffix] += float(value)
    return totals["_count"], totals["_sum"]


def batch_bodies(bodies: list[dict[str, Any]], size: int, count: int) -> list[dict[str, Any]]:
    """``count`` batch requests of ``size`` cities each, drawn in turn from ``bodies``."""
    return [
        {"quotes": [{**bodies[(b * size + i) % len(bodies)], "reference": f"b{b}-{i}"}
                    for i in range(size)]}
        for b in range(count)
    ]  # fmt: skip


def _rounds(
    phases: dict[str, Callable[[], dict[str, Any]]], rounds: int, pid: int
) -> dict[str, dict[str, Any]]:
    """Each phase ``rounds`` times, in turn; per phase the round with the most requests/s.

    On the development VM a whole run of load now and then went at a third of
    its rate for seconds at a time, /healthz and quotes alike, with the
    workers' CPU per request up by half and their kernel time fivefold
    (2026-12-03: /healthz 1,000 or 3,300 req/s, quotes 152 or 460, with
    gthread or sync workers; a CPU loop alone never slowed). One sample per
    phase then made the ratio anything from 0.05 to 0.45; the best round
    of each is what the code can do, and every round is printed.
    """
    seen: dict[str, list[dict[str, Any]]] = {name: [] for name in phases}
    for _ in range(rounds):
        for name, run in phases.items():
            seen[name].append(with_worker_cpu(pid, run))
    return {
        name: {**max(results, key=lambda r: r["rps"]), "rounds": [r["rps"] for r in results]}
        for name, results in seen.items()
    }


def _python_clients(
    base: str, auth: dict[str, str], bodies: list[Any], batches: list[Any], args: Any, pid: int
) -> dict[str, dict[str, Any]]:
    run_phase("POST", f"{base}/v1/quotes", auth, bodies, 1.0, args.clients)  # warm-up
    phases = {
        "GET /healthz": ("GET", "/healthz", {}, []),
        "POST /v1/quotes": ("POST", "/v1/quotes", auth, bodies),
        "POST /v1/quotes/batch": ("POST", "/v1/quotes/batch", auth, batches),
    }
    return _rounds(
        {
            name: lambda m=m, p=p, h=h, b=b: run_phase(
                m, base + p, h, b, args.seconds, args.clients
            )
            for name, (m, p, h, b) in phases.items()
        },
        args.rounds,
        pid,
    )


def _wrk(
    base: str, auth: dict[str, str], bodies: list[Any], batches: list[Any], args: Any, pid: int
) -> dict[str, dict[str, Any]]:
    from benchmarks.wrk_load import run_wrk

    key = auth["Authorization"]
    load = {"threads": args.threads, "connections": args.connections}
    run_wrk(f"{base}/v1/quotes", 2, bodies=bodies, authorization=key, **load)  # warm-up
    phases: dict[str, tuple[str, list[Any] | None]] = {
        "GET /healthz": ("/healthz", None),
        "POST /v1/quotes": ("/v1/quotes", bodies),
        "POST /v1/quotes/batch": ("/v1/quotes/batch", batches),
    }
    return _rounds(
        {
            name: lambda p=p, b=b: run_wrk(
                base + p, args.seconds, bodies=b, authorization=key if b else "", **load
            )
            for name, (p, b) in phases.items()
        },
        args.rounds,
        pid,
    )


def main() -> None:
    from benchmarks.wrk_load import wrk_installed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per phase (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="of every phase; best kept (3)")
    parser.add_argument("--clients", type=int, default=4, help="Python clients without wrk")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--batch-size", type=int, default=100, help="cities per batch (100)")
    parser.add_argument("--engine", default=os.environ.get("POLISURE_ENGINE", DEFAULT_ENGINE))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-wrk", action="store_true", help="Python clients even with wrk")
    args = parser.parse_args()

    bodies = quote_bodies(200, args.seed)
    batches = batch_bodies(bodies, args.batch_size, 8)
    use_wrk = wrk_installed() and not args.no_wrk
    with tempfile.TemporaryDirectory(prefix="polisure-bench-") as tmpdir:
        tmp = Path(tmpdir)
        with serve(
            tmp,
            start_timeout_s=120,
            POLISURE_ENGINE=args.engine,
            POLISURE_RATE_LIMIT="1000000 per second",
        ) as server:
            base = server.base_url
            auth = {"Authorization": f"Bearer {server.create_key('bench', 'insurer')}"}
            ready = requests.get(f"{base}/readyz", timeout=5).json()
            drive = _wrk if use_wrk else _python_clients
            results = drive(base, auth, bodies, batches, args, server.process.pid)
            engine_calls = engine_batches(base)
        split = in_process_split(args.engine, bodies, tmp)
        batch_split = in_process_batch_split(args.engine, batches[:3], tmp)

    threads = os.environ.get("WEB_THREADS", "4")
    print(f"server : gunicorn (service/gunicorn_conf.py), 2 workers x {threads} threads")
    print(f"         engine {args.engine}")
    print(
        f"         model {ready.get('model_version')}, rating plan {ready.get('rating_plan_version')}"
    )
    if use_wrk:
        print(
            f"load   : wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s --latency, "
            f"{os.cpu_count()} CPUs shared with the server"
        )
    else:
        print(f"load   : {args.clients} Python client processes (wrk not installed)")
    for name, r in results.items():
        print(
            f"{name:<22} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms  "
            f"p99 {r['p99_ms']:7.2f} ms  worker CPU {r['cpu_ms']:6.2f} ms/req  "
            f"(n={r['n']}, non-2xx {r['errors']}; rounds "
            + ", ".join(f"{x:.0f}" for x in r["rounds"])
            + " req/s)"
        )
    health, quotes = results["GET /healthz"], results["POST /v1/quotes"]
    ratio = quotes["rps"] / health["rps"]
    met = "met" if ratio >= 0.25 else "NOT met"
    print(f"ratio quotes/healthz: {ratio:.3f} (target >= 0.25: {met})")
    p99 = "met" if quotes["p99_ms"] <= 40 else "NOT met"
    print(f"quote p99: {quotes['p99_ms']:.1f} ms (target <= 40 ms: {p99})")
    batch_qps = results["POST /v1/quotes/batch"]["rps"] * args.batch_size
    speedup = batch_qps / quotes["rps"]
    print(
        f"batch of {args.batch_size}: {batch_qps:.1f} quotes/s vs single {quotes['rps']:.1f} "
        f"quotes/s = {speedup:.1f}x (target >= 10x: {'met' if speedup >= 10 else 'NOT met'})"
    )
    calls, priced = engine_calls
    if calls:
        print(
            f"single quotes priced per engine call (they met in a worker): mean "
            f"{priced / calls:.2f} over {calls:.0f} calls"
        )
    single_cpu = quotes["cpu_ms"]
    batch_cpu = results["POST /v1/quotes/batch"]["cpu_ms"] / args.batch_size
    print(
        "by worker CPU (steadier than req/s on a shared machine): quotes/healthz "
        f"{health['cpu_ms'] / single_cpu:.3f}, batch {single_cpu / batch_cpu:.1f}x single "
        f"({batch_cpu:.2f} against {single_cpu:.2f} ms a quote)"
    )
    print(f"in-process time per quote (ms; single: mean of {len(bodies)} requests, "
          f"batch: 3 batches of {args.batch_size}):")  # fmt: skip
    print(f"  {'stage':<28} {'single':>8} {'batch':>8}")
    for name, ms in split.items():
        print(f"  {name:<28} {ms:8.3f} {batch_split.get(name, float('nan')):8.3f}")


if __name__ == "__main__":
    main()
