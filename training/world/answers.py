"""Reading an exposure frame as numbers for the world model (training/world*.py).

Ordinals become their level index, sets their member count, booleans 0/1;
the reference city is the one the world's base levels refer to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.spec.fields import FIELDS_BY_NAME

#: Reference mid-size city the base levels refer to (50k residents).
REF_EMPLOYEES, REF_BUDGET_USD, REF_RECORDS = 500.0, 1e8, 7.5e4


def level(frame: pd.DataFrame, field: str) -> np.ndarray:
    """Level index (0 = first spec level) of an ordinal field."""
    levels = FIELDS_BY_NAME[field].values
    return by_category(frame, field, {v: float(i) for i, v in enumerate(levels)})


def count(frame: pd.DataFrame, field: str) -> np.ndarray:
    """Number of members of a ``|``-joined set field."""
    text = frame[field].fillna("").astype(str)
    return np.where(text == "", 0, text.str.count(r"\|") + 1).astype(np.float64)


def num(frame: pd.DataFrame, field: str) -> np.ndarray:
    """A numeric field as float64."""
    return frame[field].to_numpy(dtype=np.float64)


def flag(frame: pd.DataFrame, field: str) -> np.ndarray:
    """A boolean field (bool or ``true``/``false`` text) as 0.0/1.0."""
    col = frame[field]
    if col.dtype == bool:
        return col.to_numpy(dtype=np.float64)
    return col.astype(str).str.lower().isin(["true", "1"]).to_numpy(dtype=np.float64)


def saturating(x: np.ndarray, scale: float) -> np.ndarray:
    """0 at x = 0, rising to 1: a bounded, increasing effect."""
    return -np.expm1(-np.maximum(x, 0.0) / scale)


def by_category(frame: pd.DataFrame, field: str, table: dict[str, float]) -> np.ndarray:
    """Look up each row's category value of ``field`` in ``table`` (unknown: ValueError)."""
    values = frame[field].astype(str).map(table)
    if values.isna().any():
        raise ValueError(f"{field}: values outside {sorted(table)}")
    return values.to_numpy(dtype=np.float64)
