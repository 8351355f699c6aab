"""Each city's own independent claims, added to the catalog's events per year.

The engine takes the attritional losses from outside (the integrator feeds
the priced bundle's claims): a callable that returns one policy's annual
losses over the simulated years, already net of each claim's retention and
of the per-claim limit. The engine adds them to the policy's event losses in
the same year BEFORE the annual aggregate limit, so one limit caps both.

No double counting. The bundle's claims of cause c were fitted on history
that already holds the systemic events of cause c, so the attritional claim
rate of cause c for city i is thinned by the catalog's expected hit rate of
that city by events of cause c:

    rate'_c(i) = max(rate_c(i) - sum_{e: cause_e = c, i in footprint_e} rate_e p_e, 0).

Thinning a Poisson process keeps it Poisson, so the attritional model stays
one Poisson process per cause with a lower rate; events without a cause
(a regional blackout) take nothing away.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from models.accumulation.book import Book, event_footprints
from models.accumulation.catalog import EventCatalog
from models.spec.contract import CLAIM_CAUSES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class AttritionalLosses(Protocol):
    """One policy's attritional loss for each simulated year, shape (years,).

    ``rng`` is the policy's own generator (from the seed and its id), so the
    draws do not move when other cities join the book.
    """

    def __call__(
        self, policy_index: int, policy_id: str, years: int, rng: np.random.Generator
    ) -> FloatArray: ...


@runtime_checkable
class BlockAttritionalLosses(AttritionalLosses, Protocol):
    """Attritional losses that can also hand over a block of policies' claims at once.

    ``block_claims`` returns (policy index, year, paid USD) of every paying
    claim of ``policies``, drawing policies[j]'s claims from rngs[j] exactly
    as the per-policy call would. The simulation prefers it: the claims stay
    sparse records instead of a dense (policies x years) block.
    """

    def block_claims(
        self, policies: IntArray, years: int, rngs: Sequence[np.random.Generator]
    ) -> tuple[IntArray, IntArray, FloatArray]: ...


class PrecomputedAttritional:
    """Attritional losses given as a (policies, years) array, row i for policy i."""

    def __init__(self, samples: npt.ArrayLike) -> None:
        self.samples = np.asarray(samples, dtype=np.float64)
        if self.samples.ndim != 2 or not np.all(np.isfinite(self.samples) & (self.samples >= 0)):
            raise ValueError("attritional samples must be a (policies, years) array of losses >= 0")

    def __call__(
        self, policy_index: int, policy_id: str, years: int, rng: np.random.Generator
    ) -> FloatArray:
        if self.samples.shape[1] != years:
            raise ValueError(f"attritional samples hold {self.samples.shape[1]} years, not {years}")
        return self.samples[policy_index]


def catalog_hit_rates_by_cause(book: Book, catalog: EventCatalog) -> FloatArray:
    """Expected catalog hits a year of each policy by cause, (policies, K) in CLAIM_CAUSES order.

    Subtract these from the attritional claim rates (floored at 0) so the
    catalog's events are not counted a second time.
    """
    rates = np.zeros((len(book), len(CLAIM_CAUSES)))
    for event, cities in zip(catalog.events, event_footprints(book, catalog), strict=True):
        if event.cause is not None:
            column = CLAIM_CAUSES.index(event.cause)
            rates[cities, column] += event.annual_rate * event.footprint.hit_probability
    return rates
