"""The shipped event catalog on the synthetic book, against the published figures.

    python -m training.world.book_calibration --book DIR/book.csv [--years 50000] [--seed 0]

Prints one row per figure of /work/shared/reference/accumulation.md §7-8
that a catalog on a book can reproduce (docs/accumulation.md has the table):

* ``aep_200_over_premium``: the book's 1-in-200 aggregate loss over its
  gross premium; Guy Carpenter's three-vendor comparison puts the industry
  1-in-200 at $15.6-33.4B on ~$14B premium, 1.1-2.4x (CyberCube's PM: 234%).
* ``outage_3pct_return_period_years``: how often the vendor-outage family
  costs the book 3% of its premium or more in a year; a CrowdStrike-class
  event lands at 1-in-2 to 1-in-6 with a 3-10% loss-ratio hit (CyberCube).
* ``largest_outage_loss_ratio``: the mean book loss of one occurrence of the
  largest outage over the premium (3-10%, the same source).
* ``largest_event_share_hit``: the expected share of the book's cities one
  occurrence of the widest vendor event hits; CrowdStrike hit 25% of the
  Fortune 500 (Parametrix).
* ``insured_over_economic``: for the events whose loss is drawn from the
  budget, the book's paid loss over the hit cities' ground-up loss (E over
  occurrences, the ground-up from its closed form); published 0.1-0.25 for
  the industry, which also counts the uninsured firms' loss.

Premiums are each city's gross premium from the engine's price_policy
(bundle, rating plan, the policy's limit and retention, every coverage).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.accumulation.book import Book, event_footprints
from models.accumulation.catalog import EventCatalog, shipped_event_catalog
from models.accumulation.metrics import loss_at
from models.accumulation.run import BookRun
from models.pricing.premium import PolicyTerms
from models.spec.exposure import frame_to_records
from models.underwriting.city_pricer import CityPricer
from models.underwriting.quote_engine import load_quote_engine

PUBLISHED = {
    "aep_200_over_premium": (1.1, 2.4),
    "outage_3pct_return_period_years": (2.0, 6.0),
    "largest_outage_loss_ratio": (0.03, 0.10),
    "largest_event_share_hit": (0.10, 0.25),
    "insured_over_economic": (0.10, 0.25),
}


@dataclass(frozen=True)
class CalibrationFigures:
    premium_usd: float
    figures: dict[str, float]


def book_premiums(pricer: CityPricer, frame: pd.DataFrame) -> np.ndarray:
    """Each policy's gross premium (USD) from price_policy, every coverage part bought."""
    records = frame_to_records(frame)
    scores = pricer.score(records)
    return np.array(
        [
            pricer.price(scores, i, record, PolicyTerms(float(limit), float(retention))).premium_usd
            for i, (record, limit, retention) in enumerate(
                zip(records, frame["limit_usd"], frame["retention_usd"], strict=True)
            )
        ]
    )


def _economic_per_occurrence(book: Book, catalog: EventCatalog) -> dict[int, float]:
    """E[ground-up loss of one occurrence] of each budget-drawn event: sum_i p m e^(s^2/2) B_i."""
    budget = np.asarray(book.field("annual_revenue_usd"), dtype=np.float64)
    out = {}
    for e, (event, cities) in enumerate(
        zip(catalog.events, event_footprints(book, catalog), strict=True)
    ):
        loss = event.loss
        if loss.budget_median is not None and loss.budget_sigma is not None:
            mean_share = loss.budget_median * np.exp(loss.budget_sigma**2 / 2.0)
            out[e] = event.footprint.hit_probability * mean_share * float(budget[cities].sum())
    return out


def calibration_figures(run: BookRun, premium_usd: float) -> dict[str, float]:
    """The figures of the module docstring from one run of the book."""
    table, catalog, book = run.table, run.catalog, run.book
    outage = [i for i, f in enumerate(table.event_families) if f == "vendor_outage"]
    outage_years = table.events_year_loss(outage)
    exceed = float(np.mean(outage_years >= 0.03 * premium_usd))
    per_event = {
        e: table.occurrence_loss[table.occurrence_event == e] for e in range(len(catalog.events))
    }
    largest = max(outage, key=lambda e: per_event[e].mean() if len(per_event[e]) else 0.0)
    footprints = event_footprints(book, catalog)
    shares = [
        len(c) * ev.footprint.hit_probability / len(book)
        for ev, c in zip(catalog.events, footprints, strict=True)
        if ev.footprint.vendor is not None
    ]
    economic = _economic_per_occurrence(book, catalog)
    insured = sum(catalog.events[e].annual_rate * per_event[e].mean() for e in economic
                  if len(per_event[e]))  # fmt: skip
    ground_up = sum(catalog.events[e].annual_rate * v for e, v in economic.items())
    return {
        "aep_200_over_premium": loss_at(table.book_loss, 200.0) / premium_usd,
        "outage_3pct_return_period_years": 1.0 / exceed if exceed > 0 else float("inf"),
        "largest_outage_loss_ratio": float(per_event[largest].mean()) / premium_usd,
        "largest_event_share_hit": max(shares),
        "insured_over_economic": insured / ground_up,
        "aal_over_premium": float(table.book_loss.mean()) / premium_usd,
        "attritional_aal_over_premium": float(table.attritional_loss.mean()) / premium_usd,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", type=Path, required=True, help="a book.csv from synth")
    parser.add_argument("--years", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    frame = pd.read_csv(args.book, keep_default_na=False)
    engine, catalog = load_quote_engine(), shipped_event_catalog()
    started = time.perf_counter()
    premium = float(book_premiums(engine, frame).sum())
    book = Book.from_frame(frame)
    run = engine.book_model().analyse(book, catalog, args.years, args.seed)
    figures = calibration_figures(run, premium)
    print(f"{len(book):,} policies, premium USD {premium:,.0f}, catalog {catalog.version}, "
          f"{args.years:,} years, seed {args.seed} ({time.perf_counter() - started:.1f} s)")  # fmt: skip
    print(f"{'figure':34s} {'published':>13s} {'this catalog':>13s}")
    for name, value in figures.items():
        low, high = PUBLISHED.get(name, (float("nan"), float("nan")))
        band = f"{low:g}-{high:g}" if name in PUBLISHED else "-"
        print(f"{name:34s} {band:>13s} {value:13.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
