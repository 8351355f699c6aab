"""The words a reader sees for each metric, model and cause, and how each figure is printed.

Reports never show a metric key (``ae_decile_chi2_pvalue_glm``): an actuary
reads "P-value of the chi-square test of A/E by decile" in a GLM column.
Every ``Metric`` has its words here (tests/training/reports checks that none
is missing), and its format: a relative error as a signed percentage, a
share as a percentage, a deviance or a likelihood with five significant
digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from models.spec.contract import CLAIM_CAUSES
from models.versions.metadata import (
    ACTIVE,
    CHALLENGER,
    CHAMPION,
    GLM,
    NULL,
    SEVERITY_TAIL_Q99,
    TRUTH,
    XGBOOST,
    Metric,
)

MODEL_WORDS: Final[Mapping[str, str]] = {
    XGBOOST: "XGBoost",
    GLM: "GLM",
    ACTIVE: "Active model",
    TRUTH: "Truth",
    NULL: "One rate for all",
    CHALLENGER: "Challenger",
    CHAMPION: "Champion",
}

METRIC_WORDS: Final[Mapping[Metric, str]] = {
    Metric.POISSON_DEVIANCE: "Poisson deviance, holdout (mean per policy; lower is better)",
    Metric.GINI: "Gini of the claim-rate ordering (higher is better)",
    Metric.AE_OVERALL: "Actual / expected claims, all causes",
    Metric.AE_OVERALL_LOW95: "Actual / expected claims, lower end of the exact 95% interval",
    Metric.AE_OVERALL_HIGH95: "Actual / expected claims, upper end of the exact 95% interval",
    Metric.AE_DECILE_MAX_ABS_ERROR: "Largest |A/E - 1| over the deciles of the predicted rate",
    Metric.AE_DECILE_CHI2_PVALUE: (
        "P-value of the chi-square test of A/E by decile (below 0.05: more than noise)"
    ),
    Metric.LIFT_TOP_DECILE: "Lift of the top decile (its share of the claims x 10)",
    Metric.SEVERITY_NLL_PER_CLAIM: (
        "Severity negative log-likelihood per claim, own cause (lower is better)"
    ),
    Metric.EXPLAINABLE_DEVIANCE_CAPTURED: "Share of the explainable deviance captured",
    Metric.TRUTH_AE_DECILE_MAX_ABS_ERROR: (
        "Largest |A/E - 1| by decile against the true expected claims"
    ),
    Metric.TRUTH_AE_OVERALL: "True / predicted expected claims",
    Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR: "Pure-premium error of the $1M xs $50k layer, total",
    Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR: (
        "Pure-premium error of the $1M xs $50k layer, mean absolute per policy"
    ),
    Metric.EXCESS_LAYER_PURE_PREMIUM_TOTAL_ERROR: (
        "Pure-premium error of the $4M xs $1M layer, total"
    ),
    Metric.EXCESS_LAYER_PURE_PREMIUM_MEAN_ABS_ERROR: (
        "Pure-premium error of the $4M xs $1M layer, mean absolute per policy"
    ),
    Metric.EXPECTED_EXCESS_DEVIANCE: (
        "Expected deviance above the truth's, summed over causes (0 is the truth)"
    ),
    Metric.CAUSE_MIX_TV_DISTANCE: (
        "Distance of the loss mix by cause from the truth's (total variation, median policy)"
    ),
    Metric.CAUSE_AE: "Actual / expected claims of the cause",
    Metric.CAUSE_POISSON_DEVIANCE: "Poisson deviance of the cause's claim counts",
    Metric.CAUSE_EXPECTED_EXCESS_DEVIANCE: "Expected deviance above the truth's, this cause",
}

#: Figures that are not per model.
OTHER_WORDS: Final[Mapping[str, str]] = {
    SEVERITY_TAIL_Q99: "Fitted / observed holdout claims above the 99% loss quantile",
}

_PERCENT_ERRORS = {
    Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR,
    Metric.EXCESS_LAYER_PURE_PREMIUM_TOTAL_ERROR,
}
_PERCENTS = {
    Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
    Metric.EXCESS_LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
    Metric.EXPLAINABLE_DEVIANCE_CAPTURED,
    Metric.AE_DECILE_MAX_ABS_ERROR,
    Metric.TRUTH_AE_DECILE_MAX_ABS_ERROR,
}


def model_words(model: str) -> str:
    return MODEL_WORDS.get(model, model)


#: Causes whose words are not their identifier with spaces, capitalised.
_CAUSE_SPELLING: Final[Mapping[str, str]] = {"ot_disruption": "OT disruption"}


def cause_words(cause: str) -> str:
    """``business_email_compromise`` -> "Business email compromise"."""
    if cause not in CLAIM_CAUSES:
        raise ValueError(f"unknown claim cause {cause!r}")
    return _CAUSE_SPELLING.get(cause, cause.replace("_", " ").capitalize())


def label_words(label: str) -> str:
    """A tail's label: a cause in words, any other label ("all causes") as it is."""
    return cause_words(label) if label in CLAIM_CAUSES else label[:1].upper() + label[1:]


def format_figure(metric: Metric, value: float | None) -> str:
    """One figure of ``metric`` as printed in a report; "n/a" when undefined."""
    if value is None or value != value:  # None or NaN
        return "n/a"
    if metric in _PERCENT_ERRORS:
        return f"{value:+.1%}"
    if metric in _PERCENTS:
        return f"{value:.1%}"
    if metric is Metric.CAUSE_MIX_TV_DISTANCE:
        return f"{value:.3f}"
    return f"{value:.5g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
