"""Exposure drift: population stability index (PSI) per model field.

PSI compares the share of a current sample (e.g. the exposures quoted in the
last 30 days) in each bin with the share of a reference sample (the
bundle's training portfolio)::

    PSI = sum over bins of (current_share - reference_share)
                           x ln(current_share / reference_share)

It is 0 for identical distributions and grows with the shift; it is the
symmetric (Jeffreys) form of the Kullback-Leibler divergence on the bins.

Bins, one field at a time (models/spec/fields.py says the kind):

- int / number: the reference's deciles as edges, ``edges[i-1] < x <= edges[i]``
  (the convention of training.evaluation.metrics one-way bands). Tied deciles collapse
  into one edge, so a field that is mostly 0 gets fewer, larger bins, and a
  constant reference column gets two bins, ``<= c`` and ``> c``;
- ordinal / category: one bin per level of the spec;
- bool: False, True;
- set: the number of members, 0 to all of them (composition within the
  count is not compared: the model's risk direction is on the count).

An empty bin would make the logarithm infinite; shares below ``EPSILON``
(1e-4, i.e. 0.01%) are raised to it before the sum, the usual floor in
credit and insurance monitoring. A bin empty on both sides then adds 0.

Flags (the industry's rule of thumb): PSI < 0.1 stable, 0.1 to 0.25
moderate, > 0.25 significant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.spec.exposure import parse_set
from models.spec.fields import MODEL_FIELDS, Field

EPSILON = 1e-4
MODERATE_PSI = 0.1
SIGNIFICANT_PSI = 0.25
DECILES = np.linspace(0.1, 0.9, 9)


@dataclass(frozen=True)
class FieldDrift:
    """PSI of one field with the bins it was computed on (shares sum to 1)."""

    field: str
    psi: float
    flag: str
    bins: tuple[str, ...]
    reference_share: tuple[float, ...]
    current_share: tuple[float, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "psi": self.psi,
            "flag": self.flag,
            "bins": list(self.bins),
            "reference_share": list(self.reference_share),
            "current_share": list(self.current_share),
        }


def drift_flag(psi: float) -> str:
    """ "stable" (< 0.1), "moderate" (0.1 to 0.25) or "significant" (> 0.25)."""
    if psi < MODERATE_PSI:
        return "stable"
    return "moderate" if psi <= SIGNIFICANT_PSI else "significant"


def population_stability_index(
    reference_share: np.ndarray, current_share: np.ndarray, epsilon: float = EPSILON
) -> float:
    """PSI of two share vectors over the same bins (see the module docstring)."""
    ref = np.maximum(np.asarray(reference_share, dtype=np.float64), epsilon)
    cur = np.maximum(np.asarray(current_share, dtype=np.float64), epsilon)
    if ref.shape != cur.shape:
        raise ValueError(f"PSI needs shares over the same bins (got {ref.shape}, {cur.shape})")
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _shares(codes: np.ndarray, n_bins: int) -> np.ndarray:
    return np.bincount(codes, minlength=n_bins) / len(codes)


def _set_sizes(values: pd.Series) -> np.ndarray:
    return np.asarray([len(parse_set(v)) for v in values.fillna("").astype(str)], dtype=np.int64)


def _booleans(values: pd.Series, field: str) -> np.ndarray:
    text = values.astype(str).str.lower()
    unknown = sorted(set(text) - {"true", "false"})
    if unknown:
        raise ValueError(f"{field}: not a boolean: {unknown[0]!r}")
    return (text == "true").to_numpy()


def field_bins(
    field: Field, reference: pd.Series, current: pd.Series
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(bin labels, bin of each reference value, bin of each current value)."""
    if field.kind in ("int", "number"):
        ref = reference.to_numpy(dtype=np.float64)
        edges = np.unique(np.quantile(ref, DECILES))
        labels = tuple([f"<= {e:.4g}" for e in edges] + [f"> {edges[-1]:.4g}"])
        cur = current.to_numpy(dtype=np.float64)
        return labels, np.searchsorted(edges, ref, "left"), np.searchsorted(edges, cur, "left")
    if field.kind == "set":
        labels = tuple(f"{k} members" for k in range(len(field.values) + 1))
        return labels, _set_sizes(reference), _set_sizes(current)
    if field.kind == "bool":
        return (
            ("False", "True"),
            _booleans(reference, field.name).astype(np.int64),
            _booleans(current, field.name).astype(np.int64),
        )
    levels = {v: i for i, v in enumerate(field.values)}
    coded = []
    for values in (reference, current):
        text = values.astype(str)
        unknown = sorted(set(text) - set(levels))
        if unknown:
            raise ValueError(f"{field.name}: {unknown[0]!r} is not one of {list(field.values)}")
        coded.append(text.map(levels).to_numpy(dtype=np.int64))
    return tuple(field.values), coded[0], coded[1]


def exposure_drift(reference: pd.DataFrame, current: pd.DataFrame) -> list[FieldDrift]:
    """PSI of every model field, largest first; both frames are exposure frames."""
    if reference.empty or current.empty:
        raise ValueError("drift needs at least one reference and one current exposure")
    out = []
    for field in MODEL_FIELDS:
        for name, frame in (("reference", reference), ("current", current)):
            if field.name not in frame:
                raise ValueError(f"{name} exposures have no column {field.name!r}")
        labels, ref_bins, cur_bins = field_bins(field, reference[field.name], current[field.name])
        ref_share, cur_share = _shares(ref_bins, len(labels)), _shares(cur_bins, len(labels))
        psi = population_stability_index(ref_share, cur_share)
        out.append(
            FieldDrift(
                field.name,
                psi,
                drift_flag(psi),
                labels,
                tuple(float(s) for s in ref_share),
                tuple(float(s) for s in cur_share),
            )
        )
    return sorted(out, key=lambda d: (-d.psi, d.field))
