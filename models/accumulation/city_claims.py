"""Each city's own claims in the book's years (attritional), from the priced bundle.

The quote prices a city's claims as a compound Poisson process per cause
(models/pricing/premium.py); the book's simulation draws the same claims, so
a city's independent losses cost the same in its quote and in the book:

* Rate. Claims of cause c arrive at the bundle's annual rate lambda_c
  (``CauseLosses.rate``), THINNED by the catalog's expected hits of that
  city by events of cause c (``catalog_hit_rates_by_cause``): the bundle was
  fitted on claims histories that already hold the systemic events, so the
  catalog's share of them is taken out once, here, and drawn by the catalog
  (models/accumulation/attritional.py). A thinned Poisson process is
  Poisson, so the rest stays a compound Poisson process.
* Coverage. A loss X of cause c is covered as the quote covers it
  (covered_loss.py): Z_c = o_c X + f_c min(X, k_c), o_c the cause's share in
  the bought parts other than regulatory fines, f_c its fines share (0 when
  fines are not bought), k_c = the regime's legal maximum fine / f_c. A
  cause none of whose loss falls in a bought part sends claims that pay 0.
* Layer. Each claim pays min(Z - d, L), d the policy's retention and L its
  limit, per claim; the annual aggregate limit is the simulation's, applied
  to the year's total with the catalog's losses (simulation.py).

Speed without approximation. A claim pays only if Z_c > d, i.e. X > v_c =
g_c^-1(d), so only those claims are drawn: at rate lambda_c P(X_c > v_c),
each with X from the survival side, X = S_c^-1(U P(X_c > v_c)), U ~ U(0, 1].
A policy's claims over all N years are one Poisson(N sum_c rate_c) count
with years drawn uniformly, which is N independent Poisson years. The cause
of a claim is drawn with probability rate_c / sum_c rate_c of the paying rates. Every draw
comes from the policy's own generator (random_streams.attritional_rng), so a
city's years do not depend on the book around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.accumulation.attritional import catalog_hit_rates_by_cause
from models.accumulation.book import Book
from models.accumulation.catalog import EventCatalog
from models.pricing.cause_losses import CAUSE_COUNT, CauseLosses
from models.pricing.rating_plan import FINES_PART, RatingPlan
from models.pricing.spliced import spliced_loss_at_survival, spliced_survival
from models.scoring.features import features_from_records
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS
from models.spec.exposure import canonical_set
from models.spec.fields import MODEL_FIELDS
from models.underwriting.city_pricer import CityPricer

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SampledClaims:
    """One policy's paid claims over the simulated years: year, cause index, paid (USD)."""

    year: IntArray
    cause: IntArray
    paid_usd: FloatArray


@dataclass(frozen=True)
class CoverageTerms:
    """How each policy's coverage parts cover a loss of each cause, (policies, K) each.

    ``other_share`` o_c and ``fines_share`` f_c as in covered_loss.py, and
    ``fines_threshold`` k_c, the ground-up loss at which the fines part
    reaches the legal cap (inf: no cap, or no fines bought).
    """

    other_share: FloatArray
    fines_share: FloatArray
    fines_threshold: FloatArray

    def covered(self, row: IntArray, cause: IntArray, ground_up_usd: FloatArray) -> FloatArray:
        """Z = o_c X + f_c min(X, k_c) of sampled ground-up losses of policies ``row``."""
        k = self.fines_threshold[row, cause]
        other, fines = self.other_share[row, cause], self.fines_share[row, cause]
        return other * ground_up_usd + fines * np.minimum(ground_up_usd, k)

    def ground_up_at(self, covered_usd: FloatArray) -> FloatArray:
        """v_c = sup{x : g_c(x) <= u} for an amount u per policy, (policies, K); inf: never.

        The same inverse as CoveredLoss._ground_up, for every policy at once.
        """
        u = np.asarray(covered_usd, dtype=np.float64)[:, np.newaxis]
        o, f, k = self.other_share, self.fines_share, self.fines_threshold
        s = o + f
        with np.errstate(divide="ignore", invalid="ignore"):
            below = np.where(s > 0, u / np.where(s > 0, s, 1.0), np.inf)
            capped = np.isfinite(k)
            fines_at_cap = np.where(capped, f * np.where(capped, k, 0.0), 0.0)
            knee = np.where(capped, s * np.where(capped, k, 0.0), np.inf)
            above = np.where(o > 0, (u - fines_at_cap) / np.where(o > 0, o, 1.0), np.inf)
        at_or_above = np.where(o > 0, u > knee, u >= knee)
        return np.where(capped & at_or_above, above, below)


def coverage_terms(
    plan: RatingPlan,
    coverages: tuple[tuple[str, ...], ...] | None,
    privacy_regime: npt.ArrayLike,
    annual_revenue_usd: npt.ArrayLike,
) -> CoverageTerms:
    """Each policy's o_c, f_c, k_c from the plan's cause_coverages and fines caps.

    ``coverages`` None, or an empty entry, means every part (Book). The
    fines cap is the regime's legal maximum for the city's budget, applied
    only when fines are bought, as premium.covered_loss_for does.
    """
    regime = np.asarray(privacy_regime).astype(str)
    revenue = np.asarray(annual_revenue_usd, dtype=np.float64)
    n = len(regime)
    table = plan.cause_coverage_shares
    other, fines = np.zeros((n, CAUSE_COUNT)), np.zeros((n, CAUSE_COUNT))
    bought_sets = [tuple(c) or COVERAGE_PARTS for c in coverages] if coverages else None
    for parts in dict.fromkeys(bought_sets or [COVERAGE_PARTS]):
        rows = (
            np.arange(n)
            if bought_sets is None
            else np.flatnonzero([b == parts for b in bought_sets])
        )
        bought = set(parts)
        for c, cause in enumerate(CLAIM_CAUSES):
            other[rows, c] = sum(table[cause][p] for p in COVERAGE_PARTS
                                 if p in bought and p != FINES_PART)  # fmt: skip
            fines[rows, c] = table[cause][FINES_PART] if FINES_PART in bought else 0.0
    cap = np.full(n, np.inf)
    for name, rule in plan.fines_caps.items():
        rows = np.flatnonzero(regime == name)
        cap[rows] = [rule.cap_usd(float(r)) for r in revenue[rows]]
    with np.errstate(divide="ignore"):
        threshold = np.where(
            fines > 0, cap[:, np.newaxis] / np.where(fines > 0, fines, 1.0), np.inf
        )
    return CoverageTerms(other, fines, threshold)


#: Up to this many cities are scored from records, not a frame: a quote's one
#: city (portfolio_impact) then costs microseconds of features, not milliseconds.
_RECORD_ROWS = 64


def _exposure_columns(book: Book) -> dict[str, npt.NDArray[Any]]:
    """The book's exposure fields as the bundle scores them (sets "|"-joined in spec order).

    Every model field must be present; the error names each missing one.
    """
    missing = [f.name for f in MODEL_FIELDS if f.name not in book.exposure]
    if missing:
        raise ValueError(
            "invalid book: exposure fields missing (a city's own claims are scored on "
            f"every model field): {', '.join(missing)}"
        )
    columns = {}
    for f in MODEL_FIELDS:
        values = np.asarray(book.exposure[f.name])
        if f.kind == "set":
            values = np.array([_set_text(v, f.name) for v in values], dtype=object)
        elif f.kind == "bool" and values.dtype.kind not in "biuf":
            # the CSV form of CONTRACT §1 ("true" / "false"), as a book file may hold it
            values = np.char.lower(values.astype(str)) == "true"
        columns[f.name] = values
    return columns


def exposure_frame(book: Book) -> pd.DataFrame:
    """The book's exposure fields as a frame the bundle scores (see _exposure_columns)."""
    return pd.DataFrame(_exposure_columns(book))


def exposure_features(book: Book) -> npt.NDArray[np.float64] | pd.DataFrame:
    """What the bundle scores the book's cities from: records for a few, a frame for many.

    Both give the same feature matrix (models.scoring.features.features_from_records).
    """
    if len(book) > _RECORD_ROWS:
        return exposure_frame(book)
    columns = _exposure_columns(book)
    sets = {f.name for f in MODEL_FIELDS if f.kind == "set"}
    records = [
        {
            name: [m for m in str(values[i]).split("|") if m] if name in sets else values[i]
            for name, values in columns.items()
        }
        for i in range(len(book))
    ]
    return features_from_records(records)


def _set_text(value: object, field_name: str) -> str:
    """A set cell ("|"-joined text or a list of members) as canonical "|"-joined text."""
    if isinstance(value, str):
        members: list[str] = [m for m in value.split("|") if m]
    elif isinstance(value, (list, tuple, np.ndarray)):
        members = [str(m) for m in value]
    else:
        members = []  # NaN / None: the empty set, as an empty CSV cell
    return canonical_set(members, field_name)


@dataclass(frozen=True)
class CityClaims:
    """Every policy's claims above its retention: the AttritionalLosses of a priced book.

    ``rate_paying`` (policies, K): claims a year of cause c that pay (covered
    loss above the retention), thinned; ``survival_at_retention`` P(X_c > v_c);
    ``losses`` the bundle's severities (its ``rate`` the thinned rates).
    """

    losses: CauseLosses
    terms: CoverageTerms
    retention_usd: FloatArray
    limit_usd: FloatArray
    survival_at_retention: FloatArray
    rate_paying: FloatArray

    def claims(self, policy_index: int, years: int, rng: np.random.Generator) -> SampledClaims:
        """The paying claims of one policy over ``years`` years, drawn from ``rng``."""
        _, year, cause, paid = self._draw(np.array([policy_index]), years, [rng])
        return SampledClaims(year, cause, paid)

    def __call__(
        self, policy_index: int, policy_id: str, years: int, rng: np.random.Generator
    ) -> FloatArray:
        """One policy's paid attritional loss in each year (USD, before the aggregate limit)."""
        drawn = self.claims(policy_index, years, rng)
        return np.bincount(drawn.year, drawn.paid_usd, minlength=years).astype(np.float64)

    def block_claims(
        self, policies: IntArray, years: int, rngs: Sequence[np.random.Generator]
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """(policy, year, paid) of every paying claim of ``policies``, rngs[j] for policies[j].

        The same draws as calling each policy alone; the simulation takes
        this path to keep claims sparse and their arithmetic in one pass.
        """
        policy, year, _, paid = self._draw(policies, years, rngs)
        return policy, year, paid

    def _draw(
        self, policies: IntArray, years: int, rngs: Sequence[np.random.Generator]
    ) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
        # Only the count and three uniforms a claim come from each policy's
        # generator (in that order); the arithmetic runs on the block at once.
        totals = self.rate_paying[policies].sum(axis=1) * years
        counts = np.array([int(g.poisson(m)) if m > 0 else 0 for g, m in zip(rngs, totals, strict=True)],
                          dtype=np.int64)  # fmt: skip
        uniforms = [g.random((int(n), 3)) for g, n in zip(rngs, counts, strict=True) if n > 0]
        policy = np.repeat(policies.astype(np.int64), counts)
        if not uniforms:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty, np.empty(0)
        u = np.concatenate(uniforms)
        # each policy's cause mix once, then looked up per claim (a big city has
        # tens of thousands of claims over the years; its mix is seven numbers)
        rate = self.rate_paying[policies]
        with np.errstate(invalid="ignore", divide="ignore"):
            mix = np.cumsum(rate, axis=1) / rate.sum(axis=1, keepdims=True)
        cumulative = mix[np.repeat(np.arange(len(policies)), counts)]
        cause = np.minimum((u[:, 0:1] >= cumulative).sum(axis=1), CAUSE_COUNT - 1)
        year = np.minimum((u[:, 1] * years).astype(np.int64), years - 1)
        t = self.losses.tails
        survival = (1.0 - u[:, 2]) * self.survival_at_retention[policy, cause]
        ground_up = spliced_loss_at_survival(
            survival, self.losses.mu[policy, cause], self.losses.sigma[cause],
            t.z_u[cause], t.xi[cause], t.b[cause],
        )  # fmt: skip
        covered = self.terms.covered(policy, cause, ground_up)
        retention, limit = self.retention_usd[policy], self.limit_usd[policy]
        paid = np.minimum(np.maximum(covered - retention, 0.0), limit)
        return policy, year, cause.astype(np.int64), paid


def city_claims(pricer: CityPricer, book: Book, catalog: EventCatalog) -> CityClaims:
    """Each policy's own claims, scored by the pricer's bundle and covered by its plan."""
    losses = pricer.bundle.predict_losses(exposure_features(book))
    thinned = np.maximum(losses.rate - catalog_hit_rates_by_cause(book, catalog), 0.0)
    priced = CauseLosses(thinned, losses.mu, losses.sigma, losses.tails)
    terms = coverage_terms(
        pricer.plan,
        book.coverages,
        book.field("privacy_regime"),
        book.field("annual_revenue_usd"),
    )
    threshold = terms.ground_up_at(book.retention_usd)
    t = losses.tails
    # threshold inf (a cause the parts do not answer) has survival 0: no paying claims
    survival = spliced_survival(threshold, losses.mu, losses.sigma, t.z_u, t.xi, t.b)
    return CityClaims(
        priced, terms, book.retention_usd, book.limit_usd, survival, thinned * survival
    )
