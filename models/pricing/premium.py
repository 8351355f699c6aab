"""The premium of one policy: layer loss, aggregate loss, loadings, decision, causes.

    claim_probability      = 1 - exp(-lambda t)     (ground-up claims of every cause,
                                                     lambda = sum_c rate_c, t = days / 365)
    expected_loss_usd      = E[min(S, L)]            (models.pricing.aggregate; the pure premium)
    risk_load              = share x max(R - E[min(S, L)], 0),
                             R = TVaR_p or VaR_p of min(S, L) (rating plan ``risk_load``)
    technical premium      = (expected loss + risk load) / (1 - expense ratio - profit margin)
    premium_usd            = max(technical premium, minimum premium)

The premium is concave in the limit while the minimum does not bind: with
R = TVaR_p(min(S, L)) = (1/(1-p)) int_p^1 min(VaR_u(S), L) du every term is
concave in L, and with R = VaR_p the premium is (1 - share) E[min(S, L)] +
share min(VaR_p(S), L), concave for share < 1 (the plan enforces share < 1).

Each claim's covered loss is the city's mixture over causes
(models/pricing/covered_loss.py); the quote also reports every cause's claim
rate, ground-up loss and part of the expected loss (:func:`cause_quotes`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from models.pricing.aggregate import AggregateLoss
from models.pricing.cause_losses import CAUSE_COUNT, CauseLosses
from models.pricing.covered_loss import CoveredLoss, PartShares
from models.pricing.decision import Decision, DecisionReason
from models.pricing.rating_plan import FINES_PART, RatingPlan
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS, PERIOD_DAYS_MAX, PERIOD_DAYS_MIN

DAYS_PER_YEAR = 365.0  # period_days = 365 is one policy year
RETURN_PERIODS = (10, 100, 200)  # loss_exceedance: the 1-in-10, 1-in-100, 1-in-200 loss
MAX_CLAIM_RATE = 1000.0  # claims per year; above this the input is surely wrong


class PricingInputError(ValueError):
    """An input to pricing that breaks a rule; the message names the field."""


@dataclass(frozen=True)
class PolicyTerms:
    """Policy terms (CONTRACT §5): aggregate limit and per-claim retention in USD."""

    limit_usd: float
    retention_usd: float = 0.0
    coverages: tuple[str, ...] = COVERAGE_PARTS
    period_days: int = 365

    def __post_init__(self) -> None:
        if not (math.isfinite(self.limit_usd) and self.limit_usd > 0):
            raise PricingInputError(f"limit_usd must be a positive amount (got {self.limit_usd})")
        if not (math.isfinite(self.retention_usd) and 0 <= self.retention_usd < self.limit_usd):
            raise PricingInputError(
                f"retention_usd must be >= 0 and < limit_usd (got {self.retention_usd})"
            )
        unknown = sorted(set(self.coverages) - set(COVERAGE_PARTS))
        if unknown or not self.coverages:
            raise PricingInputError(
                f"coverages must be a non-empty subset of {list(COVERAGE_PARTS)} (got {unknown or 'none'})"
            )
        # one canonical order, so that equal terms store and compare equal
        canonical = tuple(p for p in COVERAGE_PARTS if p in set(self.coverages))
        object.__setattr__(self, "coverages", canonical)
        if not PERIOD_DAYS_MIN <= self.period_days <= PERIOD_DAYS_MAX:
            raise PricingInputError(
                f"period_days must be in [{PERIOD_DAYS_MIN}, {PERIOD_DAYS_MAX}] (got {self.period_days})"
            )

    @property
    def period_years(self) -> float:
        return self.period_days / DAYS_PER_YEAR


@dataclass(frozen=True)
class PremiumBreakdown:
    """How the premium is built, in USD; the parts add up to ``premium_usd``."""

    expected_loss_usd: float
    risk_load_usd: float
    expense_load_usd: float
    profit_load_usd: float
    technical_premium_usd: float
    minimum_premium_usd: float
    minimum_premium_applied: bool
    minimum_premium_uplift_usd: float
    # cost of capital x the city's marginal TVaR 99.5% on the insurer's book (0 without one)
    capital_load_usd: float = 0.0
    coverage_expected_loss_usd: dict[str, float] = field(default_factory=dict)

    @property
    def premium_usd(self) -> float:
        """The gross premium: the technical premium floored at the minimum (USD)."""
        return floor_at_minimum_premium(self.technical_premium_usd, self.minimum_premium_usd)


@dataclass(frozen=True)
class CauseQuote:
    """One claim cause's part of a quote (CONTRACT §6).

    ``claim_rate_per_year``: its ground-up claims per year; ``expected_annual_ground_up_loss_usd``:
    rate x mean ground-up loss, before any policy term; ``expected_loss_usd``: its part of the
    quote's expected insured loss in the layer and period (see :func:`cause_quotes`).
    """

    cause: str
    claim_rate_per_year: float
    expected_annual_ground_up_loss_usd: float
    expected_loss_usd: float

    def to_dict(self) -> dict[str, Any]:
        return _fields_of(self)


def _fields_of(value: Any) -> dict[str, Any]:
    """A flat dataclass's fields as a dict: what ``asdict`` gives it, without its deep copy
    (``asdict`` recursed through every number of every quote: 5% of a batch's time)."""
    kind = type(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:  # once a class: ``fields`` builds its tuple anew on each call
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(value))
    return {name: getattr(value, name) for name in names}


#: Each dataclass's field names, as ``_fields_of`` reads them a dozen times a quote.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True)
class PricingResult:
    """Everything a quote reports about price and decision (USD, probabilities 0-1)."""

    claim_probability: float
    expected_claim_count: float
    expected_claims_in_layer: float
    expected_loss_usd: float
    premium_usd: float
    premium_breakdown: PremiumBreakdown
    loss_exceedance: dict[str, float]
    limit_exhaustion_probability: float
    fines_cap_usd: float | None
    decision: Decision
    decision_reasons: tuple[DecisionReason, ...]
    rating_plan_version: str
    causes: tuple[CauseQuote, ...]  # one per cause, CLAIM_CAUSES order; they add up to the quote

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (reasons and causes as lists of dicts)."""
        out = _fields_of(self)
        breakdown = _fields_of(self.premium_breakdown)
        breakdown["coverage_expected_loss_usd"] = dict(breakdown["coverage_expected_loss_usd"])
        out["premium_breakdown"] = breakdown
        out["loss_exceedance"] = dict(self.loss_exceedance)
        out["decision_reasons"] = [r.to_dict() for r in self.decision_reasons]
        out["causes"] = [c.to_dict() for c in self.causes]
        return out


def floor_at_minimum_premium(technical_premium_usd: float, minimum_premium_usd: float) -> float:
    """The gross premium (USD): the technical premium, raised to the plan's minimum.

    The one place the minimum premium applies; the breakdown and the decision
    read the premium from here.
    """
    return max(technical_premium_usd, minimum_premium_usd)


def probability_level(probability: float) -> float:
    """Probability levels as keys: 1 - 1/200 and a plan's 0.995 are the same level."""
    return round(probability, 12)


def _loss_problems(losses: CauseLosses) -> list[str]:
    """Each broken rule of one city's rates and severities, named by its field and cause."""
    problems: list[str] = []
    for c, cause in enumerate(CLAIM_CAUSES):
        rate, mu, sigma = losses.rate[c], losses.mu[c], losses.sigma[c]
        if not (math.isfinite(rate) and rate >= 0):
            problems.append(f"claim_rate_per_year.{cause} must be finite and >= 0 (got {rate})")
        if not (math.isfinite(sigma) and 0 < sigma <= 10):
            problems.append(f"severity_sigma.{cause} must be in (0, 10] (got {sigma})")
        if not math.isfinite(mu):
            problems.append(f"severity_mu.{cause} must be finite (got {mu})")
    return problems


def _check_losses(losses: CauseLosses) -> None:
    """One city's claim rates and severities, each rule broken named by its field and cause."""
    if losses.rate.shape != (CAUSE_COUNT,):
        raise PricingInputError(
            f"losses: one city's rates and severities, arrays of shape ({CAUSE_COUNT},) "
            f"(got {losses.rate.shape})"
        )
    if losses_all_valid([losses]):  # the rules in one pass; below, the broken one named
        return
    rate, mu, sigma = losses.rate, losses.mu, losses.sigma
    if not np.all(np.isfinite(rate) & (rate >= 0) & np.isfinite(mu) & (sigma > 0) & (sigma <= 10)):
        raise PricingInputError("; ".join(_loss_problems(losses)))
    total = float(losses.rate.sum())
    if not total <= MAX_CLAIM_RATE:
        raise PricingInputError(
            f"claim_rate_per_year must be in [0, {MAX_CLAIM_RATE:g}] (got {total})"
        )
    t = losses.tails
    with np.errstate(over="ignore"):
        threshold = np.exp(losses.mu + losses.sigma * t.z_u)
        mean = losses.mean_loss() if np.all(np.isfinite(threshold)) else threshold
    overflow = np.flatnonzero(~np.isfinite(mean))
    if overflow.size:
        c = int(overflow[0])
        raise PricingInputError(
            f"severity_mu.{CLAIM_CAUSES[c]}: the tail threshold and mean loss must be finite "
            f"(got mu {losses.mu[c]}, sigma {losses.sigma[c]}, z_u {t.z_u[c]})"
        )


def _bought_shares(plan: RatingPlan, coverages: tuple[str, ...]) -> PartShares:
    """Each bought part's share of each cause's loss, checked: once a plan and set of parts."""
    bought = tuple(p for p in COVERAGE_PARTS if p in set(coverages))
    key = ("bought_shares", bought)
    found = plan.derived.get(key)
    if found is None:
        table = plan.cause_coverage_shares
        found = plan.derived[key] = PartShares(
            {p: np.array([table[c][p] for c in CLAIM_CAUSES]) for p in bought}
        )
    return found


def losses_all_valid(cities: Sequence[CauseLosses]) -> bool:
    """Whether every city passes :func:`_check_losses`, in one numpy pass over all of them.

    The rules themselves; :func:`_check_losses` names the one a city breaks. A
    batch's pricing checks its cities at once and, only when some city fails,
    city by city, to name the first (the same error as before).
    """
    if not cities or any(c.rate.shape != (CAUSE_COUNT,) for c in cities):
        return False
    rate = np.array([c.rate for c in cities])
    mu = np.array([c.mu for c in cities])
    sigma = np.array([c.sigma for c in cities])
    z_u = np.array([c.tails.z_u for c in cities])
    with np.errstate(over="ignore", invalid="ignore"):
        threshold = np.exp(mu + sigma * z_u)
        valid = (
            np.isfinite(rate) & (rate >= 0) & np.isfinite(mu) & (sigma > 0) & (sigma <= 10)
            & np.isfinite(threshold)
        )  # fmt: skip
        if not (bool(valid.all()) and bool(np.all(rate.sum(axis=1) <= MAX_CLAIM_RATE))):
            return False
        return bool(np.all(np.isfinite(np.array([c.mean_loss() for c in cities]))))


def covered_loss_for(
    plan: RatingPlan,
    coverages: tuple[str, ...],
    losses: CauseLosses,
    exposure: Mapping[str, Any],
    losses_checked: bool = False,
) -> CoveredLoss:
    """The covered part of one claim of the city ``losses`` for the bought parts (and the fines cap).

    Each bought part's share of each cause's loss comes from the plan's
    ``cause_coverages``. Raises :class:`PricingInputError` when no cause the
    city claims from (any cause, for a city with no claims) has a share in a
    bought part: such a policy would be a premium for nothing.
    ``losses_checked``: :func:`losses_all_valid` held for a batch that holds ``losses``.
    """
    if not losses_checked:
        _check_losses(losses)
    parts = _bought_shares(plan, coverages)
    claimed = losses.rate > 0
    if not claimed.any():
        claimed = np.ones(CAUSE_COUNT, dtype=bool)
    if not np.any(parts.total[claimed] > 0):
        raise PricingInputError(
            "coverages: the bought parts carry no share of the loss of any cause this city "
            "claims from in the rating plan (cause_coverages)"
        )
    cap = None
    fines = parts.shares.get(FINES_PART)
    regime = str(exposure.get("privacy_regime"))
    if fines is not None and np.any(fines > 0) and regime in plan.fines_caps:
        revenue = exposure.get("annual_revenue_usd")
        if not isinstance(revenue, (int, float)) or isinstance(revenue, bool) or not revenue > 0:
            raise PricingInputError("exposure.annual_revenue_usd: required to cap regulatory fines")
        cap = plan.fines_caps[regime].cap_usd(float(revenue))
    return CoveredLoss(losses, parts, cap)


def premium_from_aggregate(
    plan: RatingPlan,
    aggregate: AggregateLoss,
    covered: CoveredLoss,
    capital_basis_usd: float = 0.0,
    part_means: Mapping[str, float] | None = None,
) -> PremiumBreakdown:
    """Apply the plan's loads to the aggregate insured loss.

    ``capital_basis_usd``: the capital the policy ties up in the insurer's
    book over its period (its marginal TVaR 99.5% x period years; 0 alone),
    charged at the plan's cost of capital like the risk load, before
    expenses and profit. ``part_means``: ``covered.part_means()`` where the
    caller has it already (a batch's, from its CoveredLossStack).
    """
    loads = plan.loads
    expected = aggregate.expected_usd
    i = aggregate.probabilities.index(probability_level(loads.risk_probability))
    measure = (
        aggregate.tail_means_usd[i] if loads.risk_measure == "tvar" else aggregate.quantiles_usd[i]
    )
    risk_load = loads.risk_load_share * max(measure - expected, 0.0)
    capital_load = loads.cost_of_capital * max(capital_basis_usd, 0.0)
    technical = (expected + risk_load + capital_load) / (
        1.0 - loads.expense_ratio - loads.profit_margin
    )
    premium = floor_at_minimum_premium(technical, loads.minimum_premium_usd)
    # No unique split of a layer and an aggregate limit across parts exists; the
    # convention is pro rata to each bought part's expected covered loss.
    weights = covered.part_means() if part_means is None else part_means
    total = math.fsum(weights.values())
    split = {p: expected * w / total if total > 0 else 0.0 for p, w in weights.items()}
    return PremiumBreakdown(
        expected_loss_usd=expected,
        risk_load_usd=risk_load,
        expense_load_usd=loads.expense_ratio * technical,
        profit_load_usd=loads.profit_margin * technical,
        technical_premium_usd=technical,
        minimum_premium_usd=loads.minimum_premium_usd,
        minimum_premium_applied=premium > technical,
        minimum_premium_uplift_usd=premium - technical,
        capital_load_usd=capital_load,
        coverage_expected_loss_usd=split,
    )


def cause_quotes(
    losses: CauseLosses, layer_by_cause: np.ndarray, expected_loss_usd: float
) -> tuple[CauseQuote, ...]:
    """Each cause's claim rate, ground-up loss and part of ``expected_loss_usd``, CLAIM_CAUSES order.

    The aggregate limit is shared by every cause's claims, so a cause's part
    of the insured loss is not unique. Convention: ``expected_loss_usd`` is
    split pro rata to rate_c x E[min((Z_c - d)+, L)] (``layer_by_cause``, (K,):
    CoveredLoss.layer_expected_loss_by_cause), each cause's expected covered
    loss in the per-claim layer before the aggregate limit binds.
    """
    return cause_quotes_of([losses], np.asarray(layer_by_cause)[np.newaxis], [expected_loss_usd])[0]


def cause_quotes_of(
    losses: Sequence[CauseLosses], layer_by_cause: np.ndarray, expected_loss_usd: Sequence[float]
) -> list[tuple[CauseQuote, ...]]:
    """:func:`cause_quotes` of many policies (``layer_by_cause`` (n, K)), elementwise passes over all.

    Each number is its policy's own (elementwise products and quotients; the
    total by ``math.fsum``, exact whatever the order), so a batch item equals
    its single quote.
    """
    rate = np.array([c.rate for c in losses])
    in_layer = (rate * np.maximum(layer_by_cause, 0.0)).tolist()
    ground_up = (rate * np.array([c.mean_loss() for c in losses])).tolist()
    out = []
    for rates, layer, mean, expected in zip(
        rate.tolist(), in_layer, ground_up, expected_loss_usd, strict=True
    ):
        total = math.fsum(layer)
        shares = [x / total for x in layer] if total > 0 else [0.0] * CAUSE_COUNT
        out.append(
            tuple(
                CauseQuote(cause, rates[c], mean[c], expected * shares[c])
                for c, cause in enumerate(CLAIM_CAUSES)
            )
        )
    return out
