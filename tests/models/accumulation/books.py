"""Small books and catalogs for the accumulation tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from models.accumulation.book import Book
from models.accumulation.catalog import EventCatalog, read_event_catalog


def book(n: int, *, vendors: list[tuple[str, ...]] | None = None, limit: float = 1.0,
         retention: float = 0.0, prefix: str = "P", revenue: float = 1e6) -> Book:  # fmt: skip
    """n policies with one limit, no retention unless given, each on its own vendor."""
    return Book(
        tuple(f"{prefix}{i}" for i in range(n)),
        np.full(n, limit),
        np.full(n, retention),
        tuple(vendors) if vendors is not None else tuple((f"own {prefix}{i}",) for i in range(n)),
        {"annual_revenue_usd": np.full(n, revenue)},
    )


def vendor_event(eid: str, vendor: str, rate: float, share: float, p: float = 1.0,
                 family: str = "vendor_outage") -> dict[str, Any]:  # fmt: skip
    return {
        "id": eid,
        "family": family,
        "annual_rate": rate,
        "footprint": {"vendor": vendor, "hit_probability": p},
        "loss": {"share_of_limit": share},
    }


def catalog(events: list[dict[str, Any]], aliases: dict[str, str] | None = None) -> EventCatalog:
    data: dict[str, Any] = {"version": "test", "events": events}
    if aliases:
        data["aliases"] = aliases
    return read_event_catalog(data, "test catalog")


def independent_cities(n: int, annual_probability: float) -> list[dict[str, Any]]:
    """One event per city, on the city's own vendor: P(at least one a year) = annual_probability."""
    rate = -np.log1p(-annual_probability)
    return [vendor_event(f"own_{i}", f"own P{i}", rate, 1.0) for i in range(n)]
