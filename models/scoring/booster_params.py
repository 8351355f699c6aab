"""Hyperparameters of the frequency and severity boosters.

A module of its own, free of XGBoost and pandas, so that the command line
reads its defaults without the imports that training needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BoosterParams:
    """Hyperparameters of the boosters; ``max_depth`` and ``frequency_*`` are the per-cause frequency boosters'."""

    # Frequency trees of depth 2: they correct a log-linear start per cause,
    # which already holds the main effects (models/scoring/frequency.py).
    # Severity stays at 4: at 3 its per-policy layer premium was no closer to
    # the truth on four seeded portfolios and took more trees.
    max_depth: int = 2
    severity_max_depth: int = 4
    eta: float = 0.05
    max_rounds: int = 600
    early_stopping_rounds: int = 40
    # Severity leaves of at least 20 claims (squared error: a hessian of 1 a
    # claim): a leaf's mean log loss from 5 claims of sigma 1.5 has a standard
    # error of 0.67, from 20 of 0.34. On the four seeded portfolios of
    # benchmarks/bench_quality.py, 5 / 10 / 15 / 20 / 40 gave a median pure
    # premium error of 0.185 / 0.180 / 0.182 / 0.175 / 0.190 (mean of the four)
    # and a standard-layer error of 0.270 / 0.264 / 0.259 / 0.255 / 0.297.
    min_child_weight: float = 20.0
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    max_bin: int = 128
    nthread: int = 2
    # The per-cause frequency boosters (models/scoring/frequency.py) correct a
    # signed log-linear start from a few hundred claims of a cause: held back
    # harder than the severity booster.
    frequency_min_child_weight: float = 10.0
    frequency_reg_lambda: float = 5.0
