"""What one retrain is asked for and what its first stage gives the others.

Apart from training/pipeline.py so that the stages in other modules (the
metadata description in training/bundle_description.py) can name these
types without importing the pipeline that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from models.scoring.booster_params import BoosterParams
from training.fitting.boosters import ModelData, PolicySplit


@dataclass(frozen=True)
class TrainingRun:
    """What one retrain is asked for: the files, the seed, the boosters, the time."""

    policies_path: str | Path
    claims_path: str | Path
    seed: int
    params: BoosterParams
    truth_path: str | Path | None
    created_at: datetime


@dataclass(frozen=True)
class SplitBordereaux:
    """The validated bordereaux, their model matrix and the seeded split of the policies."""

    policies: pd.DataFrame
    claims: pd.DataFrame
    data: ModelData
    split: PolicySplit
