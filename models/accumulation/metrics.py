"""Figures read off a year loss table: AAL, OEP/AEP and TVaR, ORD tables, SPoF.

Return periods follow the ORD convention (ktools): with the N simulated
years ranked largest first, the k-th largest has return period N / k. The
loss at return period r is the value at rank k = N / r (interpolated between
ranks when N / r is not whole; the largest year when N / r < 1), and its
TVaR is the mean of the worst N / r years (a fraction of the next year when
N / r is not whole), so TVaR >= VaR and the weights are those the Euler
contributions use. Names and codes are Oasis ORD's (accumulation.md §4):
EPType 1 OEP, 2 OEP TVaR, 3 AEP, 4 AEP TVaR; EPCalc 2, full uncertainty
(every simulated year is one period).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.accumulation.book import Book
from models.accumulation.catalog import EventCatalog
from models.accumulation.simulation import YearLossTable

FloatArray = npt.NDArray[np.float64]
RETURN_PERIODS: tuple[str, ...] = (
    "2", "5", "10", "20", "25", "50", "100", "200", "250", "500", "1000",
)  # fmt: skip
EP_TYPES = {"oep": 1, "oep_tvar": 2, "aep": 3, "aep_tvar": 4}
EP_CALC_FULL_UNCERTAINTY = 2
SOLVENCY_RETURN_PERIOD = 200.0  # 99.5% over one year (Solvency II Art. 101(3))


def aal(ylt: YearLossTable) -> float:
    """Average annual loss of the book (USD)."""
    return float(ylt.book_loss.mean())


def tail_weights(losses: FloatArray, return_period: float) -> FloatArray:
    """Weights w_y (sum 1) whose weighted mean of the losses is the TVaR at ``return_period``.

    The worst floor(k) years weigh 1/k, the next one frac(k)/k, k = N / r.
    """
    n = len(losses)
    k = max(n / return_period, 1.0)
    order = np.argsort(-losses, kind="stable")
    whole = int(np.floor(k))
    weights = np.zeros(n)
    weights[order[:whole]] = 1.0 / k
    if whole < n and k > whole:
        weights[order[whole]] = (k - whole) / k
    return weights


def _largest(losses: FloatArray, count: int) -> FloatArray:
    """The ``count`` largest losses, largest first (a partition, not a sort of all N years)."""
    n = len(losses)
    count = min(count, n)
    top = np.partition(losses, n - count)[n - count :]
    return np.sort(top)[::-1]


def loss_at(losses: FloatArray, return_period: float) -> float:
    """The loss at ``return_period`` years: rank N / r of the years, largest first."""
    k = max(len(losses) / return_period, 1.0)
    low = int(np.floor(k))
    ranked = _largest(losses, low + 1)
    if low >= len(losses) or k == low:
        return float(ranked[min(low, len(losses)) - 1])
    return float(ranked[low - 1] + (k - low) * (ranked[low] - ranked[low - 1]))


def tvar_at(losses: FloatArray, return_period: float) -> float:
    """Mean of the worst N / r years (the TVaR at that return period).

    The same weights as :func:`tail_weights`, read off the worst floor(k) + 1
    years only (the quote path computes it twice per portfolio_impact).
    """
    n = len(losses)
    k = max(n / return_period, 1.0)
    whole = int(np.floor(k))
    ranked = _largest(losses, whole + 1)
    total = float(ranked[:whole].sum())
    if whole < n and k > whole:
        total += (k - whole) * float(ranked[whole])
    return total / k


def ep_curves(ylt: YearLossTable) -> dict[str, dict[str, float]]:
    """``oep``, ``aep``, ``oep_tvar``, ``aep_tvar``, each keyed by return period (CONTRACT §7)."""
    out: dict[str, dict[str, float]] = {}
    for name, losses in (("oep", ylt.max_occurrence_loss), ("aep", ylt.book_loss)):
        out[name] = {rp: loss_at(losses, float(rp)) for rp in RETURN_PERIODS}
        out[f"{name}_tvar"] = {rp: tvar_at(losses, float(rp)) for rp in RETURN_PERIODS}
    return {k: out[k] for k in ("oep", "aep", "oep_tvar", "aep_tvar")}


def ept_table(ylt: YearLossTable) -> pd.DataFrame:
    """The ORD exceedance probability table: SummaryId, EPCalc, EPType, ReturnPeriod, Loss."""
    rows = [
        (1, EP_CALC_FULL_UNCERTAINTY, EP_TYPES[name], float(rp), loss)
        for name, curve in ep_curves(ylt).items()
        for rp, loss in curve.items()
    ]
    frame = pd.DataFrame(rows, columns=["SummaryId", "EPCalc", "EPType", "ReturnPeriod", "Loss"])
    return frame.sort_values(["EPType", "ReturnPeriod"], ascending=[True, False], ignore_index=True)


def year_loss_frame(ylt: YearLossTable) -> pd.DataFrame:
    """The year loss table as rows ``year`` (1..N) and ``loss``."""
    return pd.DataFrame({"year": np.arange(1, ylt.years + 1), "loss": ylt.book_loss})


@dataclass(frozen=True)
class SpofRow:
    """One vendor as a single point of failure for the book."""

    vendor: str
    policies: int
    limit_usd: float
    aal_usd: float
    loss_1_in_200_usd: float  # the vendor's events' book loss at 1-in-200 (aggregate)


def spof_table(ylt: YearLossTable, book: Book, catalog: EventCatalog) -> list[SpofRow]:
    """A row per vendor named in the book, largest 1-in-200 first (then limit, name).

    A vendor's losses are its events' share of the book's paid losses (after
    retentions and the pro-rata aggregate limit), summed per year.
    """
    rows = []
    for vendor, policies in book.vendor_policies(catalog).items():
        events = [i for i, v in enumerate(ylt.event_vendors) if v == vendor]
        losses = ylt.events_year_loss(events) if events else np.zeros(ylt.years)
        rows.append(
            SpofRow(
                vendor,
                len(policies),
                float(book.limit_usd[policies].sum()),
                float(losses.mean()),
                loss_at(losses, SOLVENCY_RETURN_PERIOD),
            )
        )
    return sorted(rows, key=lambda r: (-r.loss_1_in_200_usd, -r.limit_usd, r.vendor))


def family_breakdown(ylt: YearLossTable) -> pd.DataFrame:
    """AAL, share of AAL and the 1-in-200 aggregate loss of each event family (and attritional)."""
    total = max(aal(ylt), 1e-300)
    rows = []
    for family in dict.fromkeys(ylt.event_families):
        events = [i for i, f in enumerate(ylt.event_families) if f == family]
        losses = ylt.events_year_loss(events)
        rows.append((family, losses.mean(), losses.mean() / total, loss_at(losses, 200.0)))
    if ylt.attritional_loss.any():
        a = ylt.attritional_loss
        rows.append(("attritional", a.mean(), a.mean() / total, loss_at(a, 200.0)))
    frame = pd.DataFrame(rows, columns=["family", "aal_usd", "aal_share", "aep_200_usd"])
    return frame.sort_values("aal_usd", ascending=False, ignore_index=True)


def euler_contributions(
    ylt: YearLossTable, return_period: float = SOLVENCY_RETURN_PERIOD
) -> pd.Series:
    """Co-TVaR of each policy, E[X_i | book year in the tail], summing to the book's AEP TVaR.

    The same tail weights as :func:`tvar_at` on the book's years, applied to
    each policy's own paid loss in those years; the sum over policies is the
    book's TVaR up to float rounding because policy losses add up to the
    book's loss year by year.
    """
    weights = tail_weights(ylt.book_loss, return_period)
    values = np.bincount(
        ylt.policy_index,
        ylt.policy_loss * weights[ylt.policy_year],
        minlength=len(ylt.policy_ids),
    )
    return pd.Series(values, index=pd.Index(ylt.policy_ids, name="policy_id"), name="co_tvar_usd")


def accumulation_summary(
    ylt: YearLossTable, book: Book, catalog: EventCatalog
) -> dict[str, object]:
    """The fields of ``GET /v1/book/accumulation`` (CONTRACT §7)."""
    return {
        "aal_usd": aal(ylt),
        "ep": ep_curves(ylt),
        "spof": [row.__dict__ for row in spof_table(ylt, book, catalog)],
        "catalog_version": ylt.catalog_version,
        "years": ylt.years,
        "seed": ylt.seed,
    }
