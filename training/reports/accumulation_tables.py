"""The tables of a book's accumulation report, as data (``Table`` of formatted cells).

Read off one :class:`~models.accumulation.run.BookRun`: the headline figures,
the EP table at the contract's return periods, the SPoF table, the breakdown
by event family, the largest simulated years with the events that made them,
and the policies that carry most of the 1-in-200 tail (Euler co-TVaR). Money
is USD, rounded here for display only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.accumulation.metrics import RETURN_PERIODS
from models.accumulation.run import BookRun
from models.accumulation.simulation import YearLossTable
from training.reports.table_format import Table

LARGEST_YEARS = 10
EVENTS_SHOWN_PER_YEAR = 5
TOP_CONTRIBUTORS = 15
TOP_VENDORS = 25
_EP_NAMES = {"oep": "OEP", "aep": "AEP", "oep_tvar": "OEP TVaR", "aep_tvar": "AEP TVaR"}


def usd(amount: float) -> str:
    return f"{amount:,.0f}"


@dataclass(frozen=True)
class RunFigures:
    """A run and the figures the report reads off it, each computed once."""

    run: BookRun
    summary: Mapping[str, Any]  # BookRun.summary(): the summary.json fields
    families: pd.DataFrame
    contributions: pd.Series  # co-TVaR 1-in-200 by policy_id

    @classmethod
    def of(cls, run: BookRun) -> RunFigures:
        return cls(run, run.summary(), run.families(), run.contributions())

    @property
    def ep(self) -> Mapping[str, Mapping[str, float]]:
        ep: Mapping[str, Mapping[str, float]] = self.summary["ep"]
        return ep

    @property
    def spof(self) -> Sequence[Mapping[str, Any]]:
        spof: Sequence[Mapping[str, Any]] = self.summary["spof"]
        return spof

    def top_contributors(self, count: int) -> list[tuple[str, float]]:
        """(policy_id, co-TVaR) of the ``count`` largest, ties by policy_id."""
        items = ((str(p), float(v)) for p, v in self.contributions.items())
        return sorted(items, key=lambda item: (-item[1], item[0]))[:count]


@dataclass(frozen=True)
class ReportContext:
    """What the run was asked for, beyond the book's figures (shown, never computed)."""

    book_name: str  # the book file's name
    model_version: str | None  # the bundle of the attritional claims; None: left out


def headline_table(figures: RunFigures, context: ReportContext) -> Table:
    run, summary, ep = figures.run, figures.summary, figures.ep
    own = (
        f"included (bundle {context.model_version})"
        if context.model_version is not None
        else "left out (--no-attritional): the catalog's events only"
    )
    rows = (
        ("book", context.book_name),
        ("policies", f"{len(run.book):,}"),
        ("total limit (USD)", usd(float(run.book.limit_usd.sum()))),
        ("average annual loss, AAL (USD)", usd(float(summary["aal_usd"]))),
        ("1-in-200 aggregate loss, AEP (USD)", usd(ep["aep"]["200"])),
        ("1-in-200 AEP TVaR (USD)", usd(ep["aep_tvar"]["200"])),
        ("1-in-200 largest event, OEP (USD)", usd(ep["oep"]["200"])),
        ("event catalog", str(summary["catalog_version"])),
        ("simulated years, seed", f"{summary['years']:,}, seed {summary['seed']}"),
        ("each city's own claims (attritional)", own),
    )
    note = (
        "Losses are paid losses of the book: each hit city's ground-up loss after its "
        "retention (per occurrence) and within its annual aggregate limit."
    )
    return Table("Headline figures", ("figure", "value"), rows, note)


def ep_table(figures: RunFigures) -> Table:
    ep = figures.ep
    rows = tuple(
        (f"1 in {rp}", *(usd(ep[name][rp]) for name in _EP_NAMES)) for rp in RETURN_PERIODS
    )
    columns = ("return period (years)", *(f"{label} (USD)" for label in _EP_NAMES.values()))
    note = (
        "OEP: the largest single event's loss in a year; AEP: the year's total loss. TVaR: "
        "the mean of the years beyond that return period (ORD EPType 2 and 4)."
    )
    return Table("Exceedance probability table", columns, rows, note)


def spof_table(figures: RunFigures, top: int = TOP_VENDORS) -> Table:
    spof = figures.spof
    rows = tuple(
        (
            str(r["vendor"]),
            f"{r['policies']:,}",
            usd(r["limit_usd"]),
            usd(r["aal_usd"]),
            usd(r["loss_1_in_200_usd"]),
        )
        for r in spof[:top]
    )
    more = (
        f" The {len(spof) - top:,} further vendors are in summary.json." if len(spof) > top else ""
    )
    note = (
        "Each vendor named in the book (names folded, aliases applied): the policies naming it, "
        "their total limit, and the book's loss from that vendor's events alone, on average and "
        f"at 1 in 200 (aggregate).{more}"
    )
    columns = ("vendor", "policies", "limit (USD)", "AAL (USD)", "1-in-200 (USD)")
    return Table("Single points of failure: vendors", columns, rows, note)


def family_table(figures: RunFigures) -> Table:
    rows = tuple(
        (str(r["family"]), usd(r["aal_usd"]), f"{100 * r['aal_share']:.1f}%", usd(r["aep_200_usd"]))
        for r in figures.families.to_dict(orient="records")
    )
    columns = ("event family", "AAL (USD)", "share of AAL", "1-in-200 alone (USD)")
    note = (
        "Each family's events alone (and each city's own claims, 'attritional'); the 1-in-200 "
        "figures do not add up to the book's, since the worst years of each differ."
    )
    return Table("Breakdown by event family", columns, rows, note)


@dataclass(frozen=True)
class SimulatedYear:
    """One simulated year: its total paid loss and what made it."""

    year: int  # 1-based, as in ylt.csv
    loss_usd: float
    attritional_usd: float
    events: tuple[tuple[str, str, float], ...]  # (event id, family, paid loss), largest first


def largest_years(table: YearLossTable, count: int = LARGEST_YEARS) -> list[SimulatedYear]:
    """The ``count`` years of largest book loss (years with no loss left out)."""
    order = np.argsort(-table.book_loss, kind="stable")[:count]
    out = []
    for y in order[table.book_loss[order] > 0]:
        mine = np.flatnonzero((table.occurrence_year == y) & (table.occurrence_loss > 0))
        mine = mine[np.argsort(-table.occurrence_loss[mine], kind="stable")]
        events = tuple(
            (
                table.event_ids[table.occurrence_event[i]],
                table.event_families[table.occurrence_event[i]],
                float(table.occurrence_loss[i]),
            )
            for i in mine
        )
        out.append(
            SimulatedYear(
                int(y) + 1, float(table.book_loss[y]), float(table.attritional_loss[y]), events
            )
        )
    return out


def _events_cell(events: tuple[tuple[str, str, float], ...]) -> str:
    shown = [f"{eid} ({family}) {usd(loss)}" for eid, family, loss in events]
    rest = events[EVENTS_SHOWN_PER_YEAR:]
    text = "; ".join(shown[:EVENTS_SHOWN_PER_YEAR])
    if rest:
        text += f"; {len(rest)} more events {usd(sum(e[2] for e in rest))}"
    return text or "none"


def largest_years_table(figures: RunFigures) -> Table:
    rows = tuple(
        (f"{y.year:,}", usd(y.loss_usd), _events_cell(y.events), usd(y.attritional_usd))
        for y in largest_years(figures.run.table)
    )
    columns = ("year", "book loss (USD)", "events that hit the book (paid loss USD)",
               "attritional (USD)")  # fmt: skip
    note = (
        "The worst simulated years and what caused them: each event occurrence with its paid "
        "loss over the book, largest first, and the cities' own claims of that year. The "
        "parts add up to the year's loss."
    )
    return Table("Largest simulated years", columns, rows, note)


def contributors_table(figures: RunFigures, top: int = TOP_CONTRIBUTORS) -> Table:
    run = figures.run
    tvar = float(figures.contributions.sum())
    index = {p: i for i, p in enumerate(run.book.policy_ids)}
    ranked = figures.top_contributors(top)
    rows = tuple(
        (
            str(policy),
            usd(float(run.book.limit_usd[index[policy]])),
            usd(value),
            f"{100 * value / tvar:.1f}%" if tvar > 0 else "-",
            ", ".join(run.book.vendors[index[policy]]) or "-",
        )
        for policy, value in ranked
    )
    columns = ("policy", "limit (USD)", "co-TVaR 1-in-200 (USD)", "share", "vendors")
    note = (
        "Euler allocation of the book's 1-in-200 AEP TVaR: each policy's mean loss in the "
        f"book's worst years. All policies' contributions add up to {usd(tvar)} USD, the TVaR."
    )
    return Table("Largest contributors to the tail (Euler co-TVaR)", columns, rows, note)
