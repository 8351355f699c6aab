"""The insurer's book as the engine reads it, and which cities an event can hit.

A book is a set of policies (id, limit, per-occurrence retention), the named
vendors of each city and the exposure fields an event footprint reads. The
footprint of a catalog event is resolved once per book into the sorted
indices of the cities it can reach; the engine then only draws for those.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.accumulation.catalog import EventCatalog, FieldCondition, Footprint
from models.spec.fields import SET_SEPARATOR

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
_ORDER_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Book:
    """Policies in force: ids, limits and retentions (USD), vendors, exposure fields.

    ``limit_usd`` is each policy's annual aggregate limit; ``retention_usd``
    applies to each occurrence. ``exposure`` maps a field name to one value
    per policy (a DataFrame's columns work). ``coverages`` names each
    policy's coverage parts (CONTRACT §5); None, or an empty entry, means all
    of them. The catalog's events ignore it; a city's own claims (attritional)
    pay only the causes its coverages answer, as its quote does.
    """

    policy_ids: tuple[str, ...]
    limit_usd: FloatArray
    retention_usd: FloatArray
    vendors: tuple[tuple[str, ...], ...]
    exposure: Mapping[str, npt.ArrayLike]
    coverages: tuple[tuple[str, ...], ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.policy_ids)
        limit = np.asarray(self.limit_usd, dtype=np.float64)
        retention = np.asarray(self.retention_usd, dtype=np.float64)
        problems = [
            f"{name}: has {len(values)} entries for {n} policies"
            for name, values in (("limit_usd", limit), ("retention_usd", retention))
            if len(values) != n
        ]
        problems += [f"vendors: has {len(self.vendors)} entries for {n} policies"] * (
            len(self.vendors) != n
        )
        sizes = {k: np.shape(v)[0] if np.ndim(v) else 1 for k, v in self.exposure.items()}
        problems += [f"exposure.{k}: has {m} entries for {n} policies"
                     for k, m in sizes.items() if m != n]  # fmt: skip
        if self.coverages is not None and len(self.coverages) != n:
            problems.append(f"coverages: has {len(self.coverages)} entries for {n} policies")
        if len(set(self.policy_ids)) != n:
            problems.append("policy_ids: must be unique")
        if not problems and not (np.all(np.isfinite(limit)) and np.all(limit > 0)):
            problems.append("limit_usd: every limit must be a finite number > 0")
        if not problems and not (np.all(np.isfinite(retention)) and np.all(retention >= 0)):
            problems.append("retention_usd: every retention must be a finite number >= 0")
        if problems:
            raise ValueError("invalid book:\n" + "\n".join(f"  - {p}" for p in problems))
        object.__setattr__(self, "limit_usd", limit)
        object.__setattr__(self, "retention_usd", retention)

    def __len__(self) -> int:
        return len(self.policy_ids)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Book:
        """A book from a frame with policy_id, limit_usd, retention_usd, vendors ("|"-joined).

        An optional ``coverages`` column ("|"-joined, empty = all) names each
        policy's coverage parts.
        """
        skip = {"policy_id", "limit_usd", "retention_usd", "vendors", "coverages"}
        return cls(
            tuple(str(p) for p in frame["policy_id"]),
            frame["limit_usd"].to_numpy(dtype=np.float64),
            frame["retention_usd"].to_numpy(dtype=np.float64),
            tuple(_names(cell) for cell in frame["vendors"]),
            {c: frame[c].to_numpy() for c in frame.columns if c not in skip},
            tuple(_names(cell) for cell in frame["coverages"]) if "coverages" in frame else None,
        )

    def vendor_policies(self, catalog: EventCatalog) -> dict[str, IndexArray]:
        """Canonical (folded) vendor name -> sorted indices of the policies naming it."""
        rows: dict[str, list[int]] = {}
        for i, names in enumerate(self.vendors):
            for key in {catalog.canonical_vendor(v) for v in names if v.strip()}:
                rows.setdefault(key, []).append(i)
        return {k: np.asarray(v, dtype=np.int64) for k, v in rows.items()}

    def field(self, name: str) -> npt.NDArray[Any]:
        """One exposure field's values; a footprint needing an absent field is an error."""
        if name not in self.exposure:
            raise ValueError(
                f"invalid book: exposure field {name!r} is missing (the catalog needs it)"
            )
        return np.asarray(self.exposure[name])


def _names(cell: Any) -> tuple[str, ...]:
    """A "|"-joined cell (or a list) as its names; anything else (NaN, None) as none."""
    if isinstance(cell, str):
        return tuple(v.strip() for v in cell.split(SET_SEPARATOR) if v.strip())
    if isinstance(cell, (list, tuple, np.ndarray)):
        return tuple(str(v).strip() for v in cell if str(v).strip())
    return ()


def _condition_mask(book: Book, condition: FieldCondition) -> npt.NDArray[np.bool_]:
    values = book.field(condition.field)
    if condition.op == "in":
        return np.isin(values.astype(str), [str(v) for v in condition.value])
    if values.dtype.kind in "iufb":
        return np.asarray(_ORDER_OPS[condition.op](values, condition.value), dtype=bool)
    return values.astype(str) == str(condition.value)


def footprint_cities(
    book: Book, footprint: Footprint, by_vendor: Mapping[str, IndexArray]
) -> IndexArray:
    """Sorted indices of the policies an event with this footprint can hit."""
    if footprint.vendor is not None:
        return by_vendor.get(footprint.vendor, np.empty(0, dtype=np.int64))
    if footprint.all_cities:
        return np.arange(len(book), dtype=np.int64)
    mask = np.ones(len(book), dtype=bool)
    for condition in footprint.conditions:
        mask &= _condition_mask(book, condition)
    return np.flatnonzero(mask).astype(np.int64)


def event_footprints(book: Book, catalog: EventCatalog) -> list[IndexArray]:
    """The cities each catalog event can reach, in catalog order."""
    by_vendor = book.vendor_policies(catalog)
    return [footprint_cities(book, e.footprint, by_vendor) for e in catalog.events]


def policies_of(book: Book, rows: Sequence[int]) -> Book:
    """The sub-book of the policies at ``rows`` (same order)."""
    idx = np.asarray(rows, dtype=np.int64)
    return Book(
        tuple(book.policy_ids[i] for i in idx),
        book.limit_usd[idx],
        book.retention_usd[idx],
        tuple(book.vendors[i] for i in idx),
        {k: np.asarray(v)[idx] for k, v in book.exposure.items()},
        None if book.coverages is None else tuple(book.coverages[i] for i in idx),
    )
