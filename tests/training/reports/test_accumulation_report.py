"""The accumulation report's tables against a book whose every year can be counted by hand.

Two cities share vendor V (limit 1M, no retention); one event on V pays 10%
of each limit per occurrence, so a year with k occurrences pays 200,000 k
(k <= 5 stays inside each city's aggregate limit), and city C0 has a known
attritional loss of 1,000 in year 1.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.accumulation.attritional import PrecomputedAttritional
from models.accumulation.run import run_book
from tests.models.accumulation.books import book, catalog, vendor_event
from training.reports.accumulation_report import render_accumulation_report
from training.reports.accumulation_tables import (
    ReportContext,
    RunFigures,
    contributors_table,
    largest_years,
)

YEARS = 400
PER_OCCURRENCE = 2 * 0.1 * 1e6


@pytest.fixture(scope="module")
def run():
    cities = book(2, vendors=[("V",), (" v ",)], limit=1e6)
    events = catalog([vendor_event("v_outage", "V", rate=0.8, share=0.1)])
    own = np.zeros((2, YEARS))
    own[0, 0] = 1000.0
    return run_book(cities, events, YEARS, seed=3, attritional=PrecomputedAttritional(own))


def test_largest_years_are_their_occurrences_and_attritional_part(run):
    table = run.table
    counts = np.bincount(table.occurrence_year, minlength=YEARS)
    assert counts.max() <= 5  # inside the aggregate limit: each occurrence pays in full
    years = largest_years(table, count=10)
    assert [y.loss_usd for y in years] == sorted((y.loss_usd for y in years), reverse=True)
    for y in years:
        k = counts[y.year - 1]
        attritional = 1000.0 if y.year == 1 else 0.0
        assert y.loss_usd == pytest.approx(PER_OCCURRENCE * k + attritional, rel=1e-12)
        assert y.attritional_usd == attritional
        assert [e[:2] for e in y.events] == [("v_outage", "vendor_outage")] * k
        assert sum(e[2] for e in y.events) + y.attritional_usd == pytest.approx(y.loss_usd)
    assert years[0].loss_usd == PER_OCCURRENCE * counts.max() + 1000.0 * (counts[0] == counts.max())


def test_contributors_add_up_to_the_book_tvar(run):
    figures = RunFigures.of(run)
    tvar = figures.ep["aep_tvar"]["200"]
    assert figures.contributions.sum() == pytest.approx(tvar, rel=1e-12)
    # both cities pay the same on every event; C0 adds its 1,000 only if year 1 is in the tail
    rows = contributors_table(figures).rows
    assert [r[0] for r in rows][:2] in (["P0", "P1"], ["P1", "P0"])
    assert f"add up to {tvar:,.0f} USD" in contributors_table(figures).note


def test_the_report_is_the_same_bytes_for_the_same_run(run):
    context = ReportContext("book.csv", None)
    first = render_accumulation_report(RunFigures.of(run), context)
    assert first == render_accumulation_report(RunFigures.of(run), context)
    assert "v_outage (vendor_outage)" in first
    assert first.startswith("<!doctype html>") and first.endswith("</html>\n")
