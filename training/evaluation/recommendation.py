"""Whether a newly trained model should be promoted: the rule, checked on holdout figures.

Rule (every check must pass):

1. frequency: XGBoost's Poisson deviance on the holdout is below the GLM's;
2. layer pricing: with a truth file, XGBoost's mean absolute error of the
   standard-layer pure premium is below the GLM's; without one no layer
   error can be measured and the severity negative log-likelihood per
   holdout claim stands in (lower than the GLM's);
3. calibration: the exact 95% Poisson interval of XGBoost's overall A/E
   holds 1 (its total claims are right to within the holdout's noise);
4. where an active model was compared: XGBoost's Poisson deviance is no
   higher than the active model's (the active model may have been trained
   on some of these holdout policies, which favours it: a tie goes to the
   new model).

A missing figure (None: undefined on this holdout) fails its check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.versions.metadata import ACTIVE, GLM, XGBOOST, Metric

RULE = (
    "promote when XGBoost has a lower holdout Poisson deviance than the GLM, a lower "
    "standard-layer pure-premium error than the GLM (with a truth file; otherwise a lower "
    "severity negative log-likelihood per claim), an overall actual/expected interval "
    "(exact 95%) that holds 1, and, where an active model is compared, a Poisson deviance "
    "no higher than the active model's"
)


@dataclass(frozen=True)
class Check:
    """One condition of the rule: what it compares, whether it passed, and the figures."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Recommendation:
    promote: bool
    checks: tuple[Check, ...]
    rule: str = RULE

    @property
    def line(self) -> str:
        """The verdict in one sentence, naming the checks that failed."""
        if self.promote:
            return "Recommendation: promote. XGBoost passes every check of the rule."
        failed = "; ".join(c.name for c in self.checks if not c.passed)
        return f"Recommendation: do not promote. Failed: {failed}."


def _value(metrics: Mapping[str, float | None], key: str) -> float | None:
    value = metrics.get(key)
    return None if value is None else float(value)


def _lower(
    metrics: Mapping[str, float | None], metric: Metric, other: str, name: str, strict: bool
) -> Check:
    mine, theirs = _value(metrics, metric.of(XGBOOST)), _value(metrics, metric.of(other))
    if mine is None or theirs is None:
        return Check(name, False, "not measured on this holdout")
    passed = mine < theirs if strict else mine <= theirs
    return Check(name, passed, f"XGBoost {mine:.5g}, {other_words(other)} {theirs:.5g}")


def other_words(model: str) -> str:
    return {GLM: "GLM", ACTIVE: "active model"}.get(model, model)


def recommend_promotion(metrics: Mapping[str, float | None]) -> Recommendation:
    """The checks of the module's rule on a bundle's holdout ``metrics``."""
    checks = [_lower(metrics, Metric.POISSON_DEVIANCE, GLM, "deviance below the GLM's", True)]
    if Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR.of(XGBOOST) in metrics:
        checks.append(
            _lower(
                metrics,
                Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
                GLM,
                "standard-layer pure-premium error below the GLM's",
                True,
            )
        )
    else:
        checks.append(
            _lower(
                metrics,
                Metric.SEVERITY_NLL_PER_CLAIM,
                GLM,
                "severity negative log-likelihood below the GLM's",
                True,
            )
        )
    low = _value(metrics, Metric.AE_OVERALL_LOW95.of(XGBOOST))
    high = _value(metrics, Metric.AE_OVERALL_HIGH95.of(XGBOOST))
    if low is None or high is None:
        checks.append(Check("A/E interval holds 1", False, "not measured on this holdout"))
    else:
        detail = f"95% interval {low:.3f} to {high:.3f}"
        checks.append(Check("A/E interval holds 1", low <= 1.0 <= high, detail))
    if Metric.POISSON_DEVIANCE.of(ACTIVE) in metrics:
        checks.append(
            _lower(
                metrics,
                Metric.POISSON_DEVIANCE,
                ACTIVE,
                "deviance no higher than the active's",
                False,
            )
        )
    return Recommendation(all(c.passed for c in checks), tuple(checks))
