"""Hyperparameters of the frequency and severity boosters.

A module of its own, free of XGBoost and pandas, so that the command line
reads its defaults without the imports that training needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BoosterParams:
    """Hyperparameters of the boosters; ``max_depth`` is the frequency booster's, ``mix_*`` the cause mix's."""

    # frequency trees of depth 3, not 4: on four seeded synthetic portfolios of
    # 100,000 policies the holdout A/E by decile against the true rates was
    # 40-55% closer to 1 at the same captured deviance (depth 4 overfits the
    # low-count leaves). Severity stays at 4: at 3 its per-policy layer premium
    # was no closer to the truth (mean error 0.54 vs 0.55 over the four) and
    # took more trees (64 vs 50), i.e. more time per scored policy.
    max_depth: int = 3
    severity_max_depth: int = 4
    eta: float = 0.05
    max_rounds: int = 600
    early_stopping_rounds: int = 40
    min_child_weight: float = 5.0
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    max_bin: int = 128
    nthread: int = 2
    # The cause mix (models/scoring/cause_mix.py) boosts a multinomial logit on
    # about a thousand claims: stumps, held back hard. On four seeded portfolios
    # depth 2 and shallower regularisation gained nothing on the holdout.
    mix_max_depth: int = 1
    mix_min_child_weight: float = 10.0
    mix_reg_lambda: float = 5.0
    mix_early_stopping_rounds: int = 80
