"""Service throughput: POST /v1/quotes per second as a ratio of GET /healthz per second.

    python -m benchmarks.bench_service [--seconds 10] [--clients 4] [--engine module:callable]

Starts one gunicorn server with the project's config and 2 workers on a free
127.0.0.1 port (temporary SQLite database, a key made with the CLI, rate
limit lifted), then drives it for ``--seconds`` per phase from ``--clients``
client processes, each one keep-alive ``requests`` session sending requests
back to back: first GET /healthz (the bare cost of a request through
gunicorn + Flask), then POST /v1/quotes (validation, engine, storage).
Prints requests/s of both, their ratio (target >= 0.25) and latency p50/p99,
then an in-process split of one quote's time: validation, the engine call
(and its own split if the engine records ``last_timings``), storage.

Caveat: on this 2-core machine the client processes compete with the two
workers for the same cores. That costs /healthz (a very cheap request) far
more than quotes, so the printed ratio flatters quotes somewhat compared with
a separate load-generator host; the quote p50/p99 include client queueing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

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
    """Mean milliseconds per quote of validation, engine and storage, in this process."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from service.access.keys import create_key
    from service.engine.slot import resolve_factory
    from service.quotes.schemas import QuoteRequestSchema
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
    loaded = [schema.load(b) for b in bodies[:20]]  # warm-up
    for body in loaded:
        engine.quote(body["exposure"], body["policy"])
    n = len(bodies)
    for body in bodies:
        t0 = time.perf_counter()
        request = schema.load(body)
        t1 = time.perf_counter()
        engine.quote(request["exposure"], request["policy"])
        t2 = time.perf_counter()
        for name, seconds in (getattr(engine, "last_timings", None) or {}).items():
            totals[f"  engine: {name}"] = totals.get(f"  engine: {name}", 0.0) + seconds
        # issue_quote prices again; storage = its time minus one engine call.
        issue_quote(db, engine, "bench", request["exposure"], request["policy"])
        t3 = time.perf_counter()
        totals["validation"] = totals.get("validation", 0.0) + (t1 - t0)
        totals["engine"] = totals.get("engine", 0.0) + (t2 - t1)
        totals["storage"] = totals.get("storage", 0.0) + max(0.0, (t3 - t2) - (t2 - t1))
    db.dispose()
    return {name: 1000 * total / n for name, total in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase (default 10)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--engine", default=os.environ.get("POLISURE_ENGINE", DEFAULT_ENGINE))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    bodies = quote_bodies(200, args.seed)
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
            run_phase("POST", f"{base}/v1/quotes", auth, bodies, 1.0, args.clients)  # warm-up
            health = run_phase("GET", f"{base}/healthz", {}, [], args.seconds, args.clients)
            quotes = run_phase(
                "POST", f"{base}/v1/quotes", auth, bodies, args.seconds, args.clients
            )
        split = in_process_split(args.engine, bodies, tmp)

    print(f"server : gunicorn, 2 sync workers x 1 thread, engine {args.engine}")
    print(
        f"         model {ready.get('model_version')}, rating plan {ready.get('rating_plan_version')}"
    )
    print(
        f"clients: {args.clients} processes x 1 keep-alive session, {args.seconds:g} s per phase, "
        f"{os.cpu_count()} CPUs shared with the server"
    )
    for name, r in (("GET /healthz", health), ("POST /v1/quotes", quotes)):
        print(
            f"{name:<16} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms  "
            f"p99 {r['p99_ms']:7.2f} ms  (n={r['n']}, errors {r['errors']})"
        )
    ratio = quotes["rps"] / health["rps"]
    print(
        f"ratio quotes/healthz: {ratio:.3f} (target >= 0.25: {'met' if ratio >= 0.25 else 'NOT met'})"
    )
    print("in-process time per quote (ms, mean over", len(bodies), "requests):")
    for name, ms in split.items():
        print(f"  {name:<28} {ms:8.3f}")


if __name__ == "__main__":
    main()
