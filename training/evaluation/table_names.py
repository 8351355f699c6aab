"""Names of the holdout tables (what the reports plot) and of their per-model columns.

The tables are ``evaluate_holdout(...)["tables"]``; they are not stored in
the bundle. The scalar metrics, stored in metadata.json, are named in
models/versions/metadata.py.
"""

from __future__ import annotations

from typing import Final

LORENZ: Final = "lorenz"  # model -> 51 points of its Lorenz curve
SEVERITY_TAIL: Final = "severity_tail"  # the new model's fitted vs observed exceedances
ONE_WAY: Final = "one_way"  # field -> A/E rows by band
BY_CAUSE: Final = "by_cause"  # one row per claim cause: A/E, interval, deviance of each model
TAIL_FITS: Final = "tail_fits"  # one row per fitted GPD tail: threshold, xi, b, exceedances
TAIL_QQ: Final = "tail_qq"  # tail label -> its QQ plot's points
TAIL_MEAN_EXCESS: Final = "tail_mean_excess"  # tail label -> observed and fitted mean excess
#: Supplied by the pipeline, not by the evaluation: what was fitted, rows of
#: {"component": ..., "description": ...} (e.g. "frequency", "XGBoost count:poisson ...").
FITTED: Final = "fitted"


def deciles(model: str) -> str:
    """A/E of ``model`` in ten equal-exposure bands of its own predicted rate."""
    return f"deciles_{model}"


def cause_mix(model: str) -> str:
    """Predicted and actual cause shares in ten equal-exposure bands of ``model``'s total rate."""
    return f"cause_mix_{model}"


def double_lift(model: str, other: str) -> str:
    """A/E of both models in ten equal-exposure bands of ``model`` rate / ``other`` rate."""
    return f"double_lift_{model}_vs_{other}"


def expected_column(model: str) -> str:
    """The column of ``model``'s expected claims in an A/E table."""
    return f"expected_{model}"


def ae_column(model: str) -> str:
    """The column of actual / ``model``'s expected claims in an A/E table."""
    return f"ae_{model}"


def ae_low_column(model: str) -> str:
    """The column of the lower end of the 95% Poisson interval of ``model``'s A/E."""
    return f"ae_low95_{model}"


def ae_high_column(model: str) -> str:
    """The column of the upper end of the 95% Poisson interval of ``model``'s A/E."""
    return f"ae_high95_{model}"


def deviance_column(model: str) -> str:
    """The column of ``model``'s mean Poisson deviance per policy."""
    return f"deviance_{model}"


def excess_deviance_column(model: str) -> str:
    """The column of ``model``'s expected excess deviance over the truth's."""
    return f"excess_deviance_{model}"


def predicted_share_column(cause: str) -> str:
    """The column of the predicted share of ``cause`` in a cause-mix table."""
    return f"predicted_share_{cause}"


def actual_share_column(cause: str) -> str:
    """The column of the actual share of ``cause`` in a cause-mix table."""
    return f"actual_share_{cause}"
