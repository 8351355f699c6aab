"""The paid losses of one block of cities, and their sum over the blocks of a run.

A block's losses (``block_losses``) go through each city's retention and
limit per loss and its annual aggregate limit (pro rata within a year, see
models/accumulation/simulation.py). A run's losses are its blocks' added
in block order with ``add_losses``, starting from ``no_losses``: one process
and a Dask cluster (which folds the same blocks in the same order on its
workers) do the same float additions in the same order, so their tables are
equal bit for bit. The per-policy records are kept as the blocks' arrays and
concatenated once at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from models.accumulation.book import Book

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
# Up to this many city-years a dense sum of the repeated ones beats sorting them.
_DENSE_SUM_CELLS = 1_000_000


@dataclass(frozen=True)
class BlockLosses:
    """Paid losses (USD) of some blocks: per year, per occurrence, and per-policy records."""

    book_loss: FloatArray  # (years,)
    attritional_loss: FloatArray  # (years,)
    occurrence_loss: FloatArray  # (occurrences of the run,)
    policy_parts: tuple[Int32Array, ...]
    year_parts: tuple[Int32Array, ...]
    loss_parts: tuple[FloatArray, ...]

    def policy_arrays(self) -> tuple[Int32Array, Int32Array, FloatArray]:
        """(policy index, year, paid) of every paid loss, in block order."""
        if not self.policy_parts:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32), np.empty(0)
        return (
            np.concatenate(self.policy_parts),
            np.concatenate(self.year_parts),
            np.concatenate(self.loss_parts),
        )


def no_losses(years: int, occurrences: int) -> BlockLosses:
    """The sum of no blocks: zeros."""
    return BlockLosses(np.zeros(years), np.zeros(years), np.zeros(occurrences), (), (), ())


def add_losses(total: BlockLosses, block: BlockLosses) -> BlockLosses:
    """``total`` plus the next block (the order of additions is the run's block order)."""
    return BlockLosses(
        total.book_loss + block.book_loss,
        total.attritional_loss + block.attritional_loss,
        total.occurrence_loss + block.occurrence_loss,
        total.policy_parts + block.policy_parts,
        total.year_parts + block.year_parts,
        total.loss_parts + block.loss_parts,
    )


def block_losses(
    book: Book,
    start: int,
    stop: int,
    years: int,
    occurrences: int,
    hits: list[tuple[IntArray, IntArray, IntArray, FloatArray]],
    attritional: tuple[IntArray, IntArray, FloatArray] | None,
) -> BlockLosses:
    """The paid losses of cities ``start:stop`` from their hits and attritional claims.

    ``hits``: per event, (city, year, occurrence number, ground-up loss);
    ``attritional``: (city, year, paid) or None.
    """
    city, year, occ, net = [], [], [], []
    for c, y, number, ground_up in hits:
        paid = np.minimum(np.maximum(ground_up - book.retention_usd[c], 0.0), book.limit_usd[c])
        keep = paid > 0
        city.append(c[keep])
        year.append(y[keep])
        occ.append(number[keep])
        net.append(paid[keep])
    if attritional is not None:
        a_city, a_year, a_paid = attritional
        city.append(a_city)
        year.append(a_year)
        occ.append(np.full(len(a_city), -1, dtype=np.int64))
        net.append(a_paid)
    if not city:
        return no_losses(years, occurrences)
    c, y, o, x = (np.concatenate(a) for a in (city, year, occ, net))
    paid = _within_aggregate(book, (c - start) * years + y, c, x, (stop - start) * years)
    event = o >= 0
    return BlockLosses(
        np.bincount(y, paid, minlength=years).astype(np.float64),
        np.bincount(y[~event], paid[~event], minlength=years).astype(np.float64),
        np.bincount(o[event], paid[event], minlength=occurrences).astype(np.float64),
        (c.astype(np.int32),),
        (y.astype(np.int32),),
        (paid,),
    )


def _within_aggregate(
    book: Book, flat: IntArray, city: IntArray, net: FloatArray, cells: int
) -> FloatArray:
    """Each record's paid loss, pro rata where its city-year exceeds the aggregate limit.

    A lone record of a city-year is already within the limit (each loss is
    capped at it), so only city-years with two or more records need their
    total: they are found with a (cities x years) buffer of record numbers
    and summed in record order (the same sums a dense bincount gives, bit
    for bit).
    """
    owner = np.full(cells, -1, dtype=np.int64)
    numbers = np.arange(len(flat), dtype=np.int64)
    owner[flat] = numbers
    shared = owner[flat] != numbers  # another record of the same city-year wrote last
    owner[flat[shared]] = -2
    repeated = np.flatnonzero(owner[flat] == -2)
    paid = net.copy()
    if len(repeated):
        if cells <= _DENSE_SUM_CELLS:  # one city (a quote's impact): no sort needed
            gross = np.bincount(flat[repeated], net[repeated], minlength=cells)
            gross = gross[flat[repeated]]
        else:
            keys, inverse = np.unique(flat[repeated], return_inverse=True)
            gross = np.bincount(inverse, net[repeated], minlength=len(keys))[inverse]
        limit = book.limit_usd[city[repeated]]
        # pro rata under the aggregate limit: gross > 0 wherever a record is
        paid[repeated] = net[repeated] * (np.minimum(gross, limit) / np.maximum(gross, 1e-300))
    return paid
