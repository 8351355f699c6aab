"""The city self-assessment: a score, a premium range and ranked fixes from partial answers.

How an assessment is made (CONTRACT §5, POST /v1/assessments):

1. Unanswered fields are filled from reference cities of similar size
   (models/underwriting/imputation.py): ``COMPLETIONS`` seeded donor completions, and one
   *central* completion (the pool's typical value for each unanswered field).
2. The central completion, the donor completions and one candidate per
   recommendation are scored in ONE batched prediction.
3. Every figure but the range is the central completion's, priced for
   ``REFERENCE_POLICY``: ``expected_loss_usd`` (expected insured loss in the
   layer, the pure premium), ``premium_usd``, risk score and drivers. The
   range is the ``RANGE_PERCENTILES`` of the donor completions' premiums:
   80% of plausible cities like this one would pay within it. With every field
   answered all completions are the city itself, so low == high.
4. Peers are the donor pool: the reference cities within a factor 2 of the
   city's population (else budget, else staff), at least the 50 nearest; all
   of them when no size is answered. ``peer_percentile`` is the share of
   peers (mid-rank, %) whose expected annual ground-up loss is below the
   city's; ``risk_score`` is the percentile of expected loss per dollar of
   budget against the whole portfolio (models.versions.bundle.ModelBundle.risk_score).
5. Drivers come in two lists besides ``drivers`` (the largest effects of all
   fields): ``actionable_drivers``, the fields the spec marks actionable
   (controls, exposure the city can change), which a city reads first, and
   ``baseline_drivers``, its size and context (population, budget, staff,
   services run, records held, regime): why its baseline is what it is.
   Each list is the largest effects of its kind, so an actionable field shows
   even when size dominates the overall ranking.
6. Recommendations: for each actionable field, ``Field.better_value`` of the
   central value is a candidate answer. Each candidate is the assessment's own
   central completion rebuilt with that answer, so re-assessing with the
   answer gives exactly the stated change. Changes are priced on the central
   completion only (pricing costs ~0.5 ms a policy; all completions would cost
   K times more). Only changes that lower expected loss are kept, biggest
   saving first. For an unanswered field the change is measured from the
   assumed (central) value, so its saving is flagged as an estimate. One
   candidate is not a spec action: ``CONCENTRATION_FIX`` (a second provider
   or an offline fallback, at most 50% of critical services on one provider).
7. ``assumed_values`` is the central completion's value of every unanswered
   field: the answers plus these are the city every figure is for (and the
   one-city book of the vendors' systemic loss, models/underwriting/vendor_risk.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from models.pricing.premium import PolicyTerms
from models.scoring.explain import drivers_for, field_log_effects
from models.spec.fields import FIELDS_BY_NAME, MODEL_FIELDS
from models.underwriting.city_pricer import CityPricer, risk_grade
from models.underwriting.imputation import ReferenceCities, complete

#: The policy every assessment is priced for: $5M aggregate limit, $100k retention
#: per claim, every coverage part, one year - a common municipal cyber tower layer.
REFERENCE_POLICY = PolicyTerms(limit_usd=5_000_000.0, retention_usd=100_000.0)
COMPLETIONS = 64  # donor completions per assessment (the premium range)
SEED = 2026  # donors are drawn with this seed: the same answers give the same range
RANGE_PERCENTILES = (10.0, 90.0)
PEER_PLOT_QUANTILES = 41  # quantiles of the peers' expected loss the web page plots

TOP_DRIVERS = 6  # drivers listed in each of drivers, actionable_drivers, baseline_drivers
_ACTIONABLE = tuple(f for f in MODEL_FIELDS if f.actionable)


@dataclass(frozen=True)
class ConcentrationFix:
    """Reducing the reliance on one provider: a second provider or an offline fallback.

    The spec leaves ``max_provider_concentration_pct`` unactionable (a quote
    has no suggestion for it), but a city can spread its critical services:
    the assessment offers it as one more candidate, priced like the others.
    """

    field: str = "max_provider_concentration_pct"
    value: float = 50.0  # % of critical services on one provider after the fix
    action: str = (
        "Add a second provider or an offline fallback, so that no more than half "
        "of the critical services depend on one provider"
    )

    def better_value(self, current: float) -> float | None:
        return self.value if float(current) > self.value else None


CONCENTRATION_FIX = ConcentrationFix()


def _acts(name: str) -> bool:
    """A field the city can change (spec ``actionable``, or the concentration), not its size."""
    return FIELDS_BY_NAME[name].actionable or name == CONCENTRATION_FIX.field


@dataclass(frozen=True)
class _Priced:
    expected_loss_usd: float
    premium_usd: float
    causes: tuple[dict[str, Any], ...] = ()  # CONTRACT §6, for the reference policy


class CityAssessor:
    """Assesses cities against one quote engine (bundle + rating plan).

    Building it scores the bundle's reference sample once (tens of ms), for
    the peer comparison; build one per engine and reuse it.
    """

    def __init__(self, engine: CityPricer, completions: int = COMPLETIONS, seed: int = SEED):
        if completions < 1:
            raise ValueError(f"completions must be >= 1 (got {completions})")
        self.engine, self.completions, self.seed = engine, completions, seed
        self.reference = ReferenceCities(engine.bundle.reference_exposures)
        scores = engine.score(self.reference.records)
        self.reference_annual_loss_usd: np.ndarray = scores.expected_annual_loss_usd

    def assess(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON-ready assessment of validated partial answers (None = don't know)."""
        known = {f.name: answers[f.name] for f in MODEL_FIELDS if answers.get(f.name) is not None}
        pool = self.reference.pool(known)
        central_fills = self.reference.central_fills(pool)
        central = complete(known, central_fills)
        donors = [
            complete(known, fills)
            for fills in self.reference.donor_fills(pool, self.completions, self.seed)
        ]
        candidates = _candidates(known, central, central_fills)
        rows = [central, *donors, *(c for _, _, c in candidates)]
        scores = self.engine.score(rows)  # the one batched prediction
        cache: dict[tuple[float, ...], _Priced] = {}
        priced = [self._price(scores, i, row, cache) for i, row in enumerate(rows)]
        base = priced[0]
        premiums = np.array([p.premium_usd for p in priced[1 : 1 + len(donors)]])
        low, high = np.percentile(premiums, RANGE_PERCENTILES)
        effects = field_log_effects(
            self.engine.bundle.model, scores.losses.rows(slice(0, 1)), scores.features[:1]
        )
        every_driver = [
            {**d.to_dict(), "answered": d.field in known, "actionable": _acts(d.field)}
            for d in drivers_for(effects, 0, central, base.expected_loss_usd, top=len(MODEL_FIELDS))
        ]
        actionable = [d for d in every_driver if d["actionable"]][:TOP_DRIVERS]
        baseline = [d for d in every_driver if not d["actionable"]][:TOP_DRIVERS]
        annual = float(scores.expected_annual_loss_usd[0])
        peers = self.reference_annual_loss_usd[pool.indices]
        risk_score = float(scores.risk_score[0])
        return {
            "risk_score": risk_score,
            "risk_grade": risk_grade(risk_score),
            "peer_percentile": 100.0 * float(np.mean((peers < annual) + 0.5 * (peers == annual))),
            "peer_group": {
                "basis": pool.basis or "whole reference portfolio",
                "cities": len(pool.indices),
                "population_range": _population_range(self.reference, pool.indices),
                "expected_annual_loss_quantiles_usd": np.quantile(
                    peers, np.linspace(0.0, 1.0, PEER_PLOT_QUANTILES)
                ).tolist(),
            },
            "claim_rate_per_year": float(scores.claim_rate_per_year[0]),
            "expected_annual_ground_up_loss_usd": annual,
            "expected_loss_usd": base.expected_loss_usd,
            "causes": [dict(c) for c in base.causes],
            "premium_usd": base.premium_usd,
            "premium_range_usd": {"low": float(low), "high": float(high)},
            "reference_policy": reference_policy_dict(),
            "drivers": every_driver[:TOP_DRIVERS],
            "actionable_drivers": actionable,
            "baseline_drivers": baseline,
            "recommendations": _recommendations(candidates, priced, known, central),
            "assumed_values": {
                f.name: central[f.name] for f in MODEL_FIELDS if f.name not in known
            },
            "answered_fields": [f.name for f in MODEL_FIELDS if f.name in known],
            "unanswered_fields": [f.name for f in MODEL_FIELDS if f.name not in known],
            "method": {
                "completions": self.completions,
                "seed": self.seed,
                "range_percentiles": list(RANGE_PERCENTILES),
            },
            "model_version": self.engine.model_version,
            "rating_plan_version": self.engine.rating_plan_version,
        }

    def _price(
        self, scores: Any, row: int, exposure: Mapping[str, Any], cache: dict[Any, _Priced]
    ) -> _Priced:
        # Premiums depend on the scores and, through the fines cap, on regime and
        # budget: identical completions (common when few fields are open) price once.
        key = (
            scores.losses.rate[row].tobytes() + scores.losses.mu[row].tobytes(),
            float(scores.risk_score[row]),
            str(exposure["privacy_regime"]),
            float(exposure["annual_revenue_usd"]),
        )
        if key not in cache:
            result = self.engine.price(scores, row, exposure, REFERENCE_POLICY)
            causes = tuple(asdict(c) for c in result.causes)
            cache[key] = _Priced(result.expected_loss_usd, result.premium_usd, causes)
        return cache[key]


def _candidates(
    known: Mapping[str, Any], central: Mapping[str, Any], central_fills: Mapping[str, Any]
) -> list[tuple[str, Any, dict[str, Any]]]:
    """(field, better answer, the central completion rebuilt with it) per possible fix."""
    out: list[tuple[str, Any, dict[str, Any]]] = []
    better = [(f.name, f.better_value(central[f.name])) for f in _ACTIONABLE]
    fix = CONCENTRATION_FIX.field
    better.append((fix, CONCENTRATION_FIX.better_value(central[fix])))
    for name, value in better:
        if value is not None:
            out.append((name, value, complete({**known, name: value}, central_fills)))
    return out


def reference_policy_dict() -> dict[str, Any]:
    """REFERENCE_POLICY as the API names it (USD, days)."""
    return {
        "limit_usd": REFERENCE_POLICY.limit_usd,
        "retention_usd": REFERENCE_POLICY.retention_usd,
        "coverages": list(REFERENCE_POLICY.coverages),
        "period_days": REFERENCE_POLICY.period_days,
    }


def _population_range(reference: ReferenceCities, indices: np.ndarray) -> list[int]:
    population = [reference.records[i]["population"] for i in indices]
    return [int(min(population)), int(max(population))]


def _recommendations(
    candidates: list[tuple[str, Any, dict[str, Any]]],
    priced: list[_Priced],
    known: Mapping[str, Any],
    central: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Candidate changes that lower expected loss, biggest saving first."""
    base = priced[0]
    first = len(priced) - len(candidates)
    out = []
    for (name, value, _), after in zip(candidates, priced[first:], strict=True):
        loss_change = after.expected_loss_usd - base.expected_loss_usd
        if not loss_change < 0.0:
            continue
        f = FIELDS_BY_NAME[name]
        out.append(
            {
                "field": name,
                "label": f.label,
                "action": CONCENTRATION_FIX.action if name == CONCENTRATION_FIX.field else f.action,
                "current_value": central[name],
                "value": value,
                "answered": name in known,
                "estimate": name not in known,
                "expected_loss_change_usd": loss_change,
                "premium_change_usd": after.premium_usd - base.premium_usd,
            }
        )
    out.sort(key=lambda r: (r["expected_loss_change_usd"], r["premium_change_usd"]))
    return out
