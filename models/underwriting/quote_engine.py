"""The quote engine: one exposure and policy in, one priced, explained quote out.

Flow (shared/ARCHITECTURE.md "Data flow of a quote"): feature row ->
frequency booster (claim rate per year) x cause mix (rate by cause) and
severity booster (a spliced loss per cause) -> risk score against the
bundle's reference portfolio -> drivers -> pricing with the rating plan
(coverage parts by cause, layer, aggregate limit, loads, decision), with the
``causes`` of CONTRACT §6.
The service calls :meth:`QuoteEngine.quote`; scoring and pricing come from
city_pricer.CityPricer, which the self-assessment shares. The class implements the service's
seam (service.engine.protocol.QuoteEngine, checked by mypy there):
``model_version``, ``rating_plan_version``, ``reference_exposures``,
``quote``, ``quote_batch`` (POST /v1/quotes/batch: the cities scored and
explained in one pass, each item equal to its single quote) and
``self_assessor``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.pricing.cause_losses import CauseLosses
from models.pricing.premium import PolicyTerms
from models.pricing.pricer import PricingItemError
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.scoring.explain import driver_rows, field_log_effects
from models.spec.contract import CLAIM_CAUSES
from models.underwriting.assessment import CityAssessor
from models.underwriting.book_model import BookModel
from models.underwriting.city_pricer import CityPricer, CityScores, risk_grade
from models.versions.registry import Registry


@dataclass(frozen=True)
class QuoteEngine(CityPricer):
    """A model bundle and a rating plan: everything a quote is priced with."""

    # Seconds spent in each step of the last quote (benchmarks/bench_service.py).
    last_timings: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    _assessor: CityAssessor | None = field(default=None, init=False, compare=False, repr=False)
    _assessor_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, compare=False, repr=False
    )

    def self_assessor(self) -> CityAssessor:
        """The city self-assessment on this engine, built on first use and then kept.

        Building it scores the reference sample once (tens of ms), so every
        assessment with this engine reuses the one assessor.
        """
        with self._assessor_lock:
            assessor = self._assessor
            if assessor is None:
                assessor = CityAssessor(self)
                object.__setattr__(self, "_assessor", assessor)
            return assessor

    def book_model(self) -> BookModel:
        """The book's simulation with this engine's bundle and rating plan for each city's own claims."""
        return BookModel(self)

    def quote(
        self,
        exposure: Mapping[str, Any],
        policy: Mapping[str, Any],
        marginal_tvar_usd: float = 0.0,
    ) -> dict[str, Any]:
        """A JSON-ready quote (CONTRACT §5 fields, less what the service adds).

        ``exposure`` is a validated exposure record; ``policy`` has limit_usd,
        retention_usd, coverages and period_days; ``marginal_tvar_usd`` is the
        city's marginal TVaR 99.5% on the tenant's book (the capital load's
        basis; 0 without a book). Raises ValueError (a PricingInputError)
        naming the field for terms pricing cannot accept.
        """
        try:
            return self.quote_batch([(exposure, policy, marginal_tvar_usd)])[0]
        except QuoteItemError as exc:
            raise exc.error from None

    def quote_batch(self, items: Sequence[QuoteItem]) -> list[dict[str, Any]]:
        """The quotes of (exposure, policy, marginal TVaR) items, scored and explained at once.

        Each quote equals the one ``quote`` gives for its item alone, bit for
        bit: every per-city number is computed row by row (the tree walk,
        the start's sums, the explanation's sums) and priced on its own.
        Raises QuoteItemError (a ValueError whose ``fields`` say
        ``quotes.<i>.policy.<field>``) for the first item pricing refuses.
        """
        terms = []
        for i, item in enumerate(items):
            try:
                terms.append(_policy_terms(item[1]))
            except ValueError as exc:
                raise QuoteItemError(i, exc) from exc
        exposures = [item[0] for item in items]
        t0 = time.perf_counter()
        scores = self.score(exposures)
        t1 = time.perf_counter()
        effects = field_log_effects(self.bundle.model, scores.losses, scores.features)
        t2 = time.perf_counter()
        try:
            priced = self.price_all(scores, exposures, terms, [item[2] for item in items])
        except PricingItemError as exc:
            raise QuoteItemError(exc.index, exc.error) from exc
        t3 = time.perf_counter()
        drivers = driver_rows(
            effects, range(len(items)), exposures, [r.expected_loss_usd for r in priced]
        )
        severities = severities_by_cause(scores.losses)
        quotes = [
            self._quote_body(scores, i, result.to_dict(), drivers[i], severities[i])
            for i, result in enumerate(priced)
        ]
        t4 = time.perf_counter()
        n = max(len(items), 1)
        self.last_timings.update(
            prediction=(t1 - t0) / n,
            explanations=(t2 - t1 + t4 - t3) / n,
            pricing=(t3 - t2) / n,
        )
        return quotes

    def _quote_body(
        self,
        scores: CityScores,
        i: int,
        pricing: dict[str, Any],
        drivers: list[dict[str, Any]],
        severity: dict[str, Any],
    ) -> dict[str, Any]:
        risk_score = float(scores.risk_score[i])
        return {
            "decision": pricing.pop("decision"),
            "decision_reasons": pricing.pop("decision_reasons"),
            "risk_score": risk_score,
            "risk_grade": risk_grade(risk_score),
            "claim_rate_per_year": float(scores.claim_rate_per_year[i]),
            "severity": severity,
            "expected_annual_ground_up_loss_usd": float(scores.expected_annual_loss_usd[i]),
            **pricing,
            "rating_plan_sha256": self.plan_sha256,
            "drivers": drivers,
        }


#: One item of a batch: a validated exposure, its policy terms and its marginal TVaR (USD).
QuoteItem = tuple[Mapping[str, Any], Mapping[str, Any], float]


class QuoteItemError(ValueError):
    """Pricing refused item ``index`` of a batch; ``fields`` name it as ``quotes.<i>.<field>``."""

    def __init__(self, index: int, error: ValueError) -> None:
        super().__init__(f"quotes.{index}: {error}")
        self.index = index
        self.error = error
        own = getattr(error, "fields", None) or {}
        self.fields = {f"quotes.{index}.{name}": messages for name, messages in own.items()}


def _policy_terms(policy: Mapping[str, Any]) -> PolicyTerms:
    return PolicyTerms(
        limit_usd=float(policy["limit_usd"]),
        retention_usd=float(policy["retention_usd"]),
        coverages=tuple(policy["coverages"]),
        period_days=int(policy["period_days"]),
    )


def severity_by_cause(losses: CauseLosses) -> dict[str, Any]:
    """One city's severity of one ground-up loss, by cause (log USD; the tail's threshold in USD)."""
    return severities_by_cause(losses)[0]


def severities_by_cause(losses: CauseLosses) -> list[dict[str, Any]]:
    """:func:`severity_by_cause` of each city of ``losses`` (one city, or a batch), at once.

    The columns are elementwise (the same bits as city by city) and turned
    into Python floats in one ``tolist`` each.
    """
    t = losses.tails
    mu = np.atleast_2d(losses.mu)
    threshold = np.exp(mu + losses.sigma * t.z_u)
    per_city = [c.tolist() for c in (mu, threshold, np.atleast_2d(losses.mean_loss()))]
    sigmas, xis, bs = (np.asarray(c, dtype=np.float64).tolist() for c in (losses.sigma, t.xi, t.b))
    return [
        {
            "distribution": "lognormal body, generalised Pareto tail above the threshold",
            "by_cause": [
                {
                    "cause": cause,
                    "mu": m,
                    "sigma": sigma,
                    "tail_threshold_usd": at,
                    "tail_shape_xi": xi,
                    "tail_scale_b": b,
                    "mean_loss_usd": mean,
                }
                for cause, m, sigma, at, xi, b, mean in zip(
                    CLAIM_CAUSES, mus, sigmas, ats, xis, bs, means, strict=True
                )
            ],
        }
        for mus, ats, means in zip(*per_city, strict=True)
    ]


def load_quote_engine(models_dir: str | None = None, version: str | None = None) -> QuoteEngine:
    """The engine for the active bundle (or ``version``) and the shipped rating plan.

    Boosters run on one thread: each gunicorn worker is one process, and
    several workers each using every core collapse throughput. Their trees
    are read into the compiled tree walk here (models/scoring/tree_predictor.py).
    """
    bundle = Registry(models_dir).load(version, nthread=1)
    # the boosters' trees read into the compiled walk now, not on the first quote
    _ = bundle.model.frequency.forest, bundle.model.severity.forest
    return QuoteEngine(bundle, shipped_rating_plan())
