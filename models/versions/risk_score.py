"""The risk score's scale: where a city's loss cost falls in the training portfolio.

Stored in every bundle's metadata (models/versions/metadata.py,
``reference.loss_cost_quantiles``) and read back by the bundle to score cities.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np


@dataclass(frozen=True)
class RiskScoreScale:
    """The risk score: percentile (0-100) of the loss cost in the training portfolio.

    Loss cost is expected annual ground-up loss per USD of annual budget,
    the exposure base: a big, well-run city is not riskier than a small,
    careless one just for being big (its expected loss in USD is larger, and
    the premium says so). The scale is the loss cost's 0.1% quantiles
    (``LEVELS`` of them), stored as ``reference.loss_cost_quantiles``.
    """

    loss_cost_quantiles: tuple[float, ...]
    LEVELS: ClassVar[int] = 1001

    @staticmethod
    def loss_cost(expected_annual_loss_usd: Any, annual_revenue_usd: Any) -> np.ndarray:
        """Expected annual loss per USD of annual budget (the exposure base)."""
        return np.asarray(expected_annual_loss_usd, dtype=np.float64) / np.asarray(
            annual_revenue_usd, dtype=np.float64
        )

    @classmethod
    def fit(cls, expected_annual_loss_usd: Any, annual_revenue_usd: Any) -> RiskScoreScale:
        """The scale of a portfolio: its loss costs' quantiles."""
        cost = cls.loss_cost(expected_annual_loss_usd, annual_revenue_usd)
        return cls(tuple(np.quantile(cost, np.linspace(0, 1, cls.LEVELS)).tolist()))

    def score(self, expected_annual_loss_usd: Any, annual_revenue_usd: Any) -> np.ndarray:
        """Risk score 0-100 of each city; below (above) the portfolio: 0 (100)."""
        quantiles, levels = self._table
        return np.interp(
            self.loss_cost(expected_annual_loss_usd, annual_revenue_usd), quantiles, levels
        )

    @cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        # once a bundle: the 1,001 quantiles made an array on every quote took 25 us (issue 13)
        quantiles = np.asarray(self.loss_cost_quantiles)
        return quantiles, np.linspace(0.0, 100.0, len(quantiles))

    def to_plain(self) -> list[float]:
        return list(self.loss_cost_quantiles)
