"""Hyperparameters of the frequency and severity boosters.

A module of its own, free of XGBoost and pandas, so that the command line
reads its defaults without the imports that training needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BoosterParams:
    """Hyperparameters shared by the frequency and severity boosters."""

    max_depth: int = 4
    eta: float = 0.05
    max_rounds: int = 600
    early_stopping_rounds: int = 40
    min_child_weight: float = 5.0
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    max_bin: int = 128
    nthread: int = 2
