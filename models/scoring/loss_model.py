"""The two fitted parts that make a city's loss model by cause, and the one call that joins them.

The claim rate of each cause (models/scoring/frequency.py) and each cause's
spliced loss (models/scoring/severity.py). ``predict`` is the only place they
are combined, for training, the bundle, the score verb and every quote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.pricing.cause_losses import CauseLosses
from models.scoring.frequency import FrequencyModel
from models.scoring.severity import SeverityModel


@dataclass(frozen=True)
class LossModel:
    frequency: FrequencyModel
    severity: SeverityModel

    def predict(self, features: np.ndarray) -> CauseLosses:
        """Each row's claim rate and spliced severity by cause."""
        rate = self.frequency.claim_rates(features)
        return CauseLosses(
            rate, self.severity.mu(features), self.severity.sigma, self.severity.tails
        )
