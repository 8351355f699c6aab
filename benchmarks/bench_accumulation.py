"""How long the book's whole analysis takes, and one city's portfolio_impact.

    python -m benchmarks.bench_accumulation [--cities 10000] [--years 50000] [--seed 7]

A synthetic book (training/world/book.py on ``synth``'s world of ``--cities``
cities) under the shipped catalog, attritional included, with the shipped
bundle and rating plan. Prints seconds for each stage of the analysis:
scoring the cities (bundle + thinning + coverage), the simulation with
events only, the simulation with each city's own claims (the difference is
the attritional sampling), and the metrics (summary with EP curves and the
SPoF table, family breakdown, Euler contributions); then the median ms of
``BookModel.impact`` for one city against the cached BookYears. Ratios are
against a bare numpy pass over the same year table in the same run: one
full sort of the year losses plus one bincount over the policy records.
Targets (issue 12): analysis <= 10 s, impact <= 20 ms.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from models.accumulation.book import Book, policies_of
from models.accumulation.catalog import shipped_event_catalog
from models.accumulation.city_claims import city_claims
from models.accumulation.run import BookRun
from models.accumulation.simulation import simulate_book
from models.underwriting.quote_engine import load_quote_engine
from training.world.book import book_frame
from training.world.portfolio import generate_portfolio


def _seconds(work, repeat: int = 1):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = work()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cities", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7, help="the synthetic world's seed")
    args = parser.parse_args()
    frame = book_frame(generate_portfolio(args.cities, args.seed).policies)
    book, catalog, engine = Book.from_frame(frame), shipped_event_catalog(), load_quote_engine()
    years = args.years
    scoring, attritional = _seconds(lambda: city_claims(engine, book, catalog))
    events_only, _ = _seconds(lambda: simulate_book(book, catalog, years, 0))
    simulation, table = _seconds(lambda: simulate_book(book, catalog, years, 0, attritional))
    run = BookRun(book, catalog, table)
    metrics, _ = _seconds(lambda: (run.summary(), run.families(), run.contributions()))
    analysis = scoring + simulation + metrics
    cached = run.years_for_impact()
    model = engine.book_model()
    # the typical new city (median limit) and the worst (largest limit: most claims)
    order = np.argsort(book.limit_usd, kind="stable")
    impact_ms = {}
    for name, row in (("median", order[len(order) // 2]), ("largest", order[-1])):
        city = policies_of(book, [int(row)])
        model.impact(cached, city, catalog)  # warm: the catalog's occurrences are cached
        ms = []
        for _ in range(15):
            t = time.perf_counter()
            model.impact(cached, city, catalog)
            ms.append((time.perf_counter() - t) * 1e3)
        impact_ms[name] = float(np.median(ms))
    bare, _ = _seconds(
        lambda: (
            np.sort(table.book_loss),
            np.bincount(table.policy_index, table.policy_loss, minlength=len(book)),
        ),
        repeat=5,
    )
    print(f"book: {len(book):,} cities, {years:,} years, catalog {catalog.version}, "
          f"{len(table.policy_loss):,} loss records, {len(table.occurrence_year):,} occurrences")  # fmt: skip
    print(f"scoring the cities        {scoring:7.3f} s")
    print(f"simulation, events only   {events_only:7.3f} s")
    print(f"simulation, with claims   {simulation:7.3f} s (attritional sampling ~{simulation - events_only:.3f} s)")  # fmt: skip
    print(f"metrics                   {metrics:7.3f} s (summary, SPoF, families, Euler)")
    print(f"whole analysis            {analysis:7.3f} s   target <= 10 s")
    print(
        f"portfolio impact          {impact_ms['median']:7.2f} ms median-limit city, "
        f"{impact_ms['largest']:.2f} ms the largest (median of 15)   target <= 20 ms"
    )
    print(
        f"bare numpy pass           {bare * 1e3:7.2f} ms (sort of the years + bincount of the records)"
    )
    print(
        f"ratios: analysis / bare {analysis / bare:,.0f}, "
        f"impact / bare {impact_ms['median'] / 1e3 / bare:.2f} (largest {impact_ms['largest'] / 1e3 / bare:.2f})"
    )
    print(
        f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
    )


if __name__ == "__main__":
    main()
