"""The marginal effect of one more city on a book: ``portfolio_impact`` (CONTRACT §7).

Common random numbers make this exact rather than a difference of two noisy
runs: an event's occurrences depend only on (seed, event id) and a city's
draws only on (event, occurrence, its policy id), so the city simulated
alone on the same seed sees the very occurrences the book saw, numbered the
same way. Its paid losses (after its own retention and aggregate limit,
which no other policy shares) then add to the book's, year by year and
occurrence by occurrence:

    with-city year loss       = book year loss + city year loss
    with-city occurrence loss = book occurrence loss + city occurrence loss

and each delta is a figure of the sum minus the same figure of the book.
Binding the city afterwards gives a book whose figures move by exactly these
deltas (up to float rounding), which the tests check.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.accumulation.metrics import loss_at, tvar_at
from models.accumulation.simulation import YearLossTable

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
IMPACT_RETURN_PERIOD = 200.0
IMPACT_FIELDS = (
    "delta_aal_usd",
    "delta_oep_200_usd",
    "delta_aep_200_usd",
    "delta_aep_tvar_200_usd",
)


def max_by_year(occurrence_year: IntArray, occurrence_loss: FloatArray, years: int) -> FloatArray:
    """The largest occurrence loss of each year (0 in a year without one): the OEP sample."""
    out = np.zeros(years)
    np.maximum.at(out, occurrence_year, occurrence_loss)
    return out


@dataclass(frozen=True)
class BookYears:
    """A book's simulated years as the marginal impact reads them."""

    years: int
    seed: int
    catalog_version: str
    book_loss: FloatArray  # (years,)
    occurrence_year: IntArray  # (occurrences,)
    occurrence_loss: FloatArray  # (occurrences,)

    @cached_property
    def figures(self) -> dict[str, float]:
        """The book's own figures, once per cached book (every quote subtracts them)."""
        oep = max_by_year(self.occurrence_year, self.occurrence_loss, self.years)
        return _figures(self.book_loss, oep)

    @classmethod
    def from_table(cls, table: YearLossTable) -> BookYears:
        return cls(
            table.years,
            table.seed,
            table.catalog_version,
            table.book_loss,
            table.occurrence_year,
            table.occurrence_loss,
        )

    def save(self, path: str | Path) -> None:
        """Write to ``path`` (.npz) atomically: readers see the old file or the new one."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(
                    out,
                    meta=np.array([self.years, self.seed], dtype=np.int64),
                    catalog_version=np.array(self.catalog_version),
                    book_loss=self.book_loss,
                    occurrence_year=self.occurrence_year,
                    occurrence_loss=self.occurrence_loss,
                )
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> BookYears:
        with np.load(Path(path), allow_pickle=False) as data:
            years, seed = (int(v) for v in data["meta"])
            return cls(
                years,
                seed,
                str(data["catalog_version"]),
                data["book_loss"],
                data["occurrence_year"],
                data["occurrence_loss"],
            )


def _figures(year_loss: FloatArray, oep_sample: FloatArray) -> dict[str, float]:
    return {
        "aal": float(year_loss.mean()),
        "oep_200": loss_at(oep_sample, IMPACT_RETURN_PERIOD),
        "aep_200": loss_at(year_loss, IMPACT_RETURN_PERIOD),
        "aep_tvar_200": tvar_at(year_loss, IMPACT_RETURN_PERIOD),
    }


def portfolio_impact(book: BookYears, city: YearLossTable) -> dict[str, float]:
    """The book with the city minus the book without it (CONTRACT §7 field names).

    ``city`` is the city simulated alone (a one-policy book) on the book's
    catalog, years and seed.
    """
    if (city.years, city.seed, city.catalog_version) != (
        book.years,
        book.seed,
        book.catalog_version,
    ):
        raise ValueError(
            "the city was simulated on other years than the book "
            f"({city.years}, seed {city.seed}, catalog {city.catalog_version} against "
            f"{book.years}, seed {book.seed}, catalog {book.catalog_version})"
        )
    if not np.array_equal(city.occurrence_year, book.occurrence_year):
        raise ValueError("the city's event occurrences differ from the book's (another catalog?)")
    before = book.figures
    with_loss = book.book_loss + city.book_loss
    with_occ = book.occurrence_loss + city.occurrence_loss
    after = _figures(with_loss, max_by_year(book.occurrence_year, with_occ, book.years))
    return {
        f"delta_{k}_usd": after[k] - before[k]
        for k in ("aal", "oep_200", "aep_200", "aep_tvar_200")
    }
