"""The inputs of a log-linear model: log1p of heavy-tailed columns, then standardised.

Shared by the signed start of each cause's claim rate
(models/scoring/frequency.py), which scores every quote, and the GLM
baseline (training/fitting/baseline.py). Columns
seen through log1p: every feature from a count, size or duration field (a
numeric field whose unit is not "%") and the derived features, where
effects are multiplicative in size. Means and scales come from the
training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.scoring.features import DERIVED_FEATURES, FEATURES
from models.spec.fields import FIELDS_BY_NAME

DERIVED_NAMES = frozenset(d.name for d in DERIVED_FEATURES)


def heavy_tailed_columns() -> np.ndarray:
    """Boolean mask over FEATURES: columns a log-linear model sees through log1p."""
    mask = []
    for feature in FEATURES:
        field = FIELDS_BY_NAME[feature.fields[0]]
        from_size_field = feature.name == field.name and field.is_numeric and field.unit != "%"
        mask.append(feature.name in DERIVED_NAMES or from_size_field)
    return np.asarray(mask)


@dataclass(frozen=True)
class GlmInputs:
    """log1p on heavy-tailed columns, then (x - mean) / scale of the training rows."""

    log_columns: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit_transform(cls, features: np.ndarray) -> tuple[GlmInputs, np.ndarray]:
        """The fitted transform and the training rows it transforms (one pass)."""
        mask = heavy_tailed_columns()
        x = _log1p(features, mask)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        x -= mean
        x /= scale
        return cls(mask, mean, scale), x

    def transform(self, features: np.ndarray) -> np.ndarray:
        return (_log1p(features, self.log_columns) - self.mean) / self.scale


#: Rows up to which the log columns are taken as one block: for a quote's single row, one
#: ufunc call instead of one per column (4 us against 39; issue 13). Larger frames go
#: column by column, contiguous, without a copy of the block. Both give the same bits
#: (tests/models/scoring/test_glm_inputs.py).
BLOCK_ROWS = 1024


def _log1p(features: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if len(features) <= BLOCK_ROWS:
        x = np.array(features, dtype=np.float64)  # a copy
        columns = np.flatnonzero(mask)
        block = x[:, columns]
        np.log1p(np.maximum(block, 0.0, out=block), out=block)
        x[:, columns] = block
        return x
    x = np.array(features, dtype=np.float64, order="F")  # a copy; columns contiguous
    for j in np.flatnonzero(mask):
        column = x[:, j]
        np.log1p(np.maximum(column, 0.0, out=column), out=column)
    return x
