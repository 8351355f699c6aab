"""The three fitted parts that make a city's loss model by cause, and the one call that joins them.

Total claim rate (models/scoring/frequency.py) x cause mix (models/scoring/cause_mix.py)
gives the rate of each cause; the severity (models/scoring/severity.py) gives
each cause's spliced loss. ``predict`` is the only place they are combined,
for training, the bundle, the score verb and every quote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.pricing.cause_losses import CauseLosses
from models.scoring.cause_mix import CauseMixModel
from models.scoring.frequency import FrequencyModel
from models.scoring.severity import SeverityModel


@dataclass(frozen=True)
class LossModel:
    frequency: FrequencyModel
    cause_mix: CauseMixModel
    severity: SeverityModel

    def predict(self, features: np.ndarray) -> CauseLosses:
        """Each row's claim rate and spliced severity by cause."""
        total = self.frequency.claim_rate_per_year(features)
        rate = self.cause_mix.cause_rates(total, features)
        return CauseLosses(rate, self.severity.mu(features), self.severity.sigma, self.severity.tails)
