"""The systemic loss a city carries through its named vendors (CONTRACT §10).

A city that names its vendors is put alone in a one-city book: the
self-assessment's reference policy (limit, retention, every coverage), its
exposure as the assessment completed it, its vendors, and the fixed policy id
``ASSESSMENT_POLICY_ID`` (the random streams are keyed by policy id, so the
same city always meets the same simulated years). That book is run on the
active event catalog by the engine ``training accumulate`` runs
(models.underwriting.book_model.BookModel.analyse: the city's own claims plus
the catalog's events, seeded), so ``accumulate`` on :func:`one_city_frame`
written as a book file gives the same figures.

For each named vendor: the expected annual loss of that vendor's catalog
events to the city (``aal_usd``, USD a year, paid inside the reference
policy's retention and aggregate limit) and their 1-in-100 and 1-in-200
aggregate year losses (the SPoF definition of models.accumulation.metrics,
read at 100 years as well); a vendor the catalog has no event for carries no
modelled systemic loss and says so (``events`` 0). ``reference_cities`` is how
many cities of the bundle's reference portfolio name the vendor
(models/underwriting/reference_vendors.json, counted over the shipped model's
training portfolio by ``python -m training.world.vendor_shares``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from models.accumulation.book import Book
from models.accumulation.catalog import EventCatalog
from models.accumulation.metrics import loss_at
from models.accumulation.run import BookRun
from models.pricing.premium import PolicyTerms
from models.spec.exposure import records_to_frame
from models.spec.fields import MODEL_FIELDS, SET_SEPARATOR
from models.underwriting.book_model import BookModel

ASSESSMENT_POLICY_ID = "assessment"
REFERENCE_VENDORS_FILE = Path(__file__).with_name("reference_vendors.json")
RETURN_PERIODS_YEARS = (100.0, 200.0)


@dataclass(frozen=True)
class VendorSharing:
    """How many cities of the reference portfolio name each vendor (names as written)."""

    cities: int  # cities in the reference portfolio
    by_vendor: Mapping[str, int]
    source: str

    def cities_naming(self, vendor: str, catalog: EventCatalog) -> int:
        """Reference cities naming ``vendor``, matched as the book matches (folded, aliases)."""
        key = catalog.canonical_vendor(vendor)
        return sum(n for name, n in self.by_vendor.items() if catalog.canonical_vendor(name) == key)


@lru_cache(maxsize=4)
def load_vendor_sharing(path: Path = REFERENCE_VENDORS_FILE) -> VendorSharing:
    """The counts file (read once per process: it only changes with the shipped model)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return VendorSharing(int(data["cities"]), dict(data["vendors"]), str(data["portfolio"]))


def one_city_frame(
    exposure: Mapping[str, Any], vendors: Sequence[str], policy: PolicyTerms
) -> pd.DataFrame:
    """The city as a book file's frame (CONTRACT §7): one row, every model field, vendors."""
    frame = pd.DataFrame(
        {
            "policy_id": pd.Series([ASSESSMENT_POLICY_ID], dtype=object),
            "limit_usd": pd.Series([float(policy.limit_usd)], dtype="float64"),
            "retention_usd": pd.Series([float(policy.retention_usd)], dtype="float64"),
        }
    )
    fields = records_to_frame([{f.name: exposure[f.name] for f in MODEL_FIELDS}])
    frame = pd.concat([frame, fields], axis=1)
    frame["vendors"] = pd.Series([SET_SEPARATOR.join(vendors)], dtype=object)
    frame["coverages"] = pd.Series([SET_SEPARATOR.join(policy.coverages)], dtype=object)
    return frame


def _vendor_row(
    run: BookRun, vendor: str, catalog: EventCatalog, sharing: VendorSharing
) -> dict[str, Any]:
    key = catalog.canonical_vendor(vendor)
    events = [i for i, v in enumerate(run.table.event_vendors) if v == key]
    losses = run.table.events_year_loss(events)
    cities = sharing.cities_naming(vendor, catalog)
    return {
        "vendor": vendor,
        "catalog_vendor": key,
        "events": len(events),
        "aal_usd": float(losses.mean()),
        "loss_1_in_100_usd": loss_at(losses, RETURN_PERIODS_YEARS[0]),
        "loss_1_in_200_usd": loss_at(losses, RETURN_PERIODS_YEARS[1]),
        "reference_cities": cities,
        "reference_share_pct": 100.0 * cities / sharing.cities if sharing.cities else 0.0,
    }


def vendor_risk(
    book_model: BookModel,
    exposure: Mapping[str, Any],
    vendors: Sequence[str],
    policy: PolicyTerms,
    catalog: EventCatalog,
    years: int,
    seed: int,
    sharing: VendorSharing | None = None,
) -> dict[str, Any]:
    """The city's systemic loss by named vendor, JSON-ready (USD; see the module docstring).

    ``vendors`` as the city wrote them; the same vendor under two spellings
    (or an alias) is listed once, under its first spelling.
    """
    sharing = sharing or load_vendor_sharing()
    book = Book.from_frame(one_city_frame(exposure, vendors, policy))
    run = book_model.analyse(book, catalog, years=years, seed=seed)
    firsts = {catalog.canonical_vendor(v): v for v in reversed(vendors)}
    unique = [v for v in dict.fromkeys(vendors) if firsts[catalog.canonical_vendor(v)] == v]
    rows = [_vendor_row(run, v, catalog, sharing) for v in unique]
    rows.sort(key=lambda r: (-r["loss_1_in_100_usd"], -r["aal_usd"], r["vendor"].casefold()))
    return {
        "vendors": rows,
        "aal_usd": float(run.table.book_loss.mean()),
        "catalog_aal_usd": float(run.table.book_loss.mean() - run.table.attritional_loss.mean()),
        "policy_id": ASSESSMENT_POLICY_ID,
        "catalog_version": catalog.version,
        "years": years,
        "seed": seed,
        "reference_portfolio": {"cities": sharing.cities, "source": sharing.source},
    }
