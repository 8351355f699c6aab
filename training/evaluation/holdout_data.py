"""What the holdout evaluation is given: the holdout itself and one model's predictions of it.

A module of their own so that the evaluation's parts (holdout.py, truth_checks.py)
import them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.pricing.cause_losses import CauseLosses
from training.evaluation import by_cause


@dataclass(frozen=True)
class Predictions:
    """One model's per-cause loss model of the holdout policies (one row per policy)."""

    name: str
    losses: CauseLosses

    @property
    def rate(self) -> np.ndarray:
        """Claims per year, all causes."""
        return self.losses.claim_rate_per_year


@dataclass(frozen=True)
class Holdout:
    """Holdout policies (exposure frame rows), claim counts and their claims."""

    frame: pd.DataFrame
    claim_counts: np.ndarray
    exposure_years: np.ndarray
    claim_owner: np.ndarray  # row in ``frame`` of each holdout claim
    loss_usd: np.ndarray
    claim_cause: np.ndarray  # position in CLAIM_CAUSES of each holdout claim

    def cause_counts(self) -> np.ndarray:
        """Claims of each cause per policy, policies x causes."""
        return by_cause.cause_counts(self.claim_owner, self.claim_cause, len(self.claim_counts))
