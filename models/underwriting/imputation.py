"""Filling unanswered self-assessment fields from the bundle's reference cities.

A city that answers "don't know" still gets a score: each unanswered field is
taken from a *donor*, a reference city (the seeded training sample the bundle
carries) of similar size. Size is the first answered of population, budget
and staff (the *basis*): the donor pool - the city's peers - is every
reference city within a factor ``PEER_SIZE_FACTOR`` of the city on that one
number, and at least the ``MIN_POOL`` nearest (a big city in a portfolio of
mostly small towns still gets peers, the nearest there are), or the whole
reference sample when none is answered. A donor's counts that grow
with a city's size (devices, vendors, records, budget, staff, security staff)
are multiplied by the size ratio city / donor on the basis, so a city of
80,000 residents is not given the device count of its 100,000-resident donor
(linear scaling; inside a pool of near-equal sizes the ratio stays near 1, so
counts that grow less than linearly, like vendors, are barely distorted).
Percentages, levels and sets are taken as they are. Filled values are clipped
to the spec's range and the cross-field rules are restored (an unanswered
bounded field is cut to its bound; an answered one raises an unanswered bound).

Two kinds of completion: ``donor_fills`` (one donor each: the spread of
plausible cities, for the premium range) and ``central_fills`` (per field the
pool's median, median level, majority or most common value: the one typical
city the central estimate and the recommendations use). Both depend on the
answers only through the size anchors, which no recommendation changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.spec.exposure import frame_to_records
from models.spec.fields import CROSS_FIELD_RULES, FIELDS_BY_NAME, MODEL_FIELDS

SIZE_ANCHORS: tuple[str, ...] = ("population", "annual_revenue_usd", "employee_count")
#: Counts that grow with a city's size: scaled by the size ratio city / donor.
SIZE_SCALED: tuple[str, ...] = (
    "population",
    "annual_revenue_usd",
    "employee_count",
    "security_fte",
    "iot_device_count",
    "ot_device_count",
    "internet_exposed_devices",
    "vendor_count",
    "critical_vendor_count",
    "vendors_with_remote_access",
    "pii_records",
)
PEER_SIZE_FACTOR = 2.0  # peers and donors: reference cities within a factor 2 in size
MIN_POOL = 50  # ... and always at least the 50 nearest (or all of a smaller sample)

# A recommendation must not move the donor pool, or its saving would mix two
# changes (the answer and the peers): no actionable field may be a size anchor.
if any(FIELDS_BY_NAME[a].actionable for a in SIZE_ANCHORS):
    raise RuntimeError(f"a size anchor {SIZE_ANCHORS} must not be actionable in models.spec.fields")

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class DonorPool:
    """Reference rows (indices) of cities like this one, and each one's size ratio."""

    indices: np.ndarray
    size_ratio: np.ndarray  # city size / donor size (1 when no anchor is answered)
    basis: str | None  # the size anchor that chose the pool (None: every reference city)


class ReferenceCities:
    """The bundle's reference exposures, ready for donor filling."""

    def __init__(self, reference_exposures: pd.DataFrame) -> None:
        if len(reference_exposures) == 0:
            raise ValueError("the bundle's reference_exposures sample is empty")
        self.records: list[dict[str, Any]] = frame_to_records(reference_exposures)
        self.size = len(self.records)
        self._columns = {f.name: _column(self.records, f.name) for f in MODEL_FIELDS}
        self._log_size = {a: np.log(self._columns[a]) for a in SIZE_ANCHORS}

    def pool(self, answers: Answers) -> DonorPool:
        """The reference cities nearest in size to the city, on its first answered anchor."""
        basis = next((a for a in SIZE_ANCHORS if answers.get(a) is not None), None)
        if basis is None:
            return DonorPool(np.arange(self.size), np.ones(self.size), None)
        log_ratio = np.log(float(answers[basis])) - self._log_size[basis]
        distance = np.abs(log_ratio)
        chosen = distance <= np.log(PEER_SIZE_FACTOR)
        chosen[np.argsort(distance, kind="stable")[:MIN_POOL]] = True
        indices = np.flatnonzero(chosen)
        return DonorPool(indices, np.exp(log_ratio[indices]), basis)

    def donor_fills(self, pool: DonorPool, count: int, seed: int) -> list[dict[str, Any]]:
        """``count`` donors drawn with replacement from the pool (seeded): their values."""
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, len(pool.indices), count)
        return [self._scaled(self.records[pool.indices[k]], pool.size_ratio[k]) for k in picks]

    def central_fills(self, pool: DonorPool) -> dict[str, Any]:
        """One typical city of the pool: a central value per field."""
        idx = pool.indices
        out: dict[str, Any] = {}
        for f in MODEL_FIELDS:
            column = self._columns[f.name][idx]
            if f.is_numeric:
                if f.name in SIZE_SCALED:
                    column = np.clip(column * pool.size_ratio, f.minimum, f.maximum)
                middle = float(np.median(column))
                out[f.name] = round(middle) if f.kind == "int" else middle
            elif f.kind == "bool":
                out[f.name] = bool(np.mean(column) > 0.5)
            elif f.kind == "ordinal":  # the lower median level: a real level, never between
                out[f.name] = f.values[int(np.sort(column)[(len(column) - 1) // 2])]
            elif f.kind == "category":  # most common; ties go to the spec's first value
                out[f.name] = f.values[int(np.argmax(np.bincount(column, minlength=len(f.values))))]
            else:  # set: the members at least half the pool holds
                held = 2 * column.sum(axis=0) >= len(idx)
                out[f.name] = [m for m, h in zip(f.values, held, strict=True) if h]
        return out

    @staticmethod
    def _scaled(record: Mapping[str, Any], ratio: float) -> dict[str, Any]:
        row = dict(record)
        if ratio != 1.0:
            for name in SIZE_SCALED:
                f = FIELDS_BY_NAME[name]
                value = min(max(row[name] * ratio, f.minimum or 0.0), f.maximum or np.inf)
                row[name] = round(value) if f.kind == "int" else float(value)
        return row


def _column(records: list[dict[str, Any]], name: str) -> np.ndarray:
    """One field of every record as an array: numbers, level codes or set indicators."""
    f = FIELDS_BY_NAME[name]
    values = [r[name] for r in records]
    if f.kind in ("ordinal", "category"):
        return np.array([f.values.index(v) for v in values], dtype=np.int64)
    if f.kind == "set":
        return np.array([[m in v for m in f.values] for v in values], dtype=bool)
    return np.array(values, dtype=np.float64)


def complete(answers: Answers, fills: Mapping[str, Any]) -> dict[str, Any]:
    """A full exposure: the answers, the fills for the rest, cross-field rules restored."""
    row = {
        f.name: answers[f.name] if answers.get(f.name) is not None else fills[f.name]
        for f in MODEL_FIELDS
    }
    for rule in CROSS_FIELD_RULES:
        bound = sum(row[b] for b in rule.bound_fields)
        excess = row[rule.field] - bound
        if excess <= 0:
            continue
        if answers.get(rule.field) is None:
            row[rule.field] = bound
            continue
        # The schema checked the rule when every field was answered, so one is filled.
        filled = next(b for b in rule.bound_fields if answers.get(b) is None)
        row[filled] += excess
    return row
