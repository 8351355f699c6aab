"""EP figures, ORD tables, SPoF rows and Euler contributions."""

import numpy as np
import pytest

from models.accumulation.metrics import (
    RETURN_PERIODS,
    accumulation_summary,
    ep_curves,
    ept_table,
    euler_contributions,
    family_breakdown,
    loss_at,
    spof_table,
    tvar_at,
)
from models.accumulation.simulation import simulate_book


@pytest.fixture(scope="module")
def run(small_world):
    policies, shipped = small_world
    return policies, shipped, simulate_book(policies, shipped, years=4_000, seed=21)


def test_loss_at_and_tvar_follow_ord_ranks():
    losses = np.arange(1.0, 1001.0)  # 1000 years, ranked: 1000, 999, ...
    assert loss_at(losses, 200) == 996.0  # rank 5
    assert tvar_at(losses, 200) == pytest.approx(998.0)  # mean of 1000..996
    assert loss_at(losses, 400) == pytest.approx(998.5)  # rank 2.5, between 999 and 998
    assert tvar_at(losses, 400) == pytest.approx((1000 + 999 + 0.5 * 998) / 2.5)
    assert loss_at(losses, 5000) == 1000.0  # beyond the years simulated: the largest


def test_euler_contributions_add_up_to_the_aep_tvar(run):
    _, _, ylt = run
    contributions = euler_contributions(ylt, 200)
    assert contributions.sum() == pytest.approx(tvar_at(ylt.book_loss, 200), rel=1e-10)
    assert ep_curves(ylt)["aep_tvar"]["200"] == pytest.approx(contributions.sum(), rel=1e-10)
    assert (contributions >= 0).all()


def test_ept_table_uses_ord_codes(run):
    _, _, ylt = run
    table = ept_table(ylt)
    assert list(table.columns) == ["SummaryId", "EPCalc", "EPType", "ReturnPeriod", "Loss"]
    assert sorted(table["EPType"].unique()) == [1, 2, 3, 4]
    assert len(table) == 4 * len(RETURN_PERIODS)
    curves = ep_curves(ylt)
    row = table[(table.EPType == 3) & (table.ReturnPeriod == 200.0)]
    assert row["Loss"].item() == curves["aep"]["200"]


def test_spof_rows_largest_first_and_counted(run):
    policies, shipped, ylt = run
    rows = spof_table(ylt, policies, shipped)
    losses = [r.loss_1_in_200_usd for r in rows]
    assert losses == sorted(losses, reverse=True)
    nimbus = next(r for r in rows if r.vendor == "nimbus cloud")
    on = [i for i, v in enumerate(policies.vendors) if "Nimbus Cloud" in v]
    assert nimbus.policies == len(on)
    assert nimbus.limit_usd == pytest.approx(policies.limit_usd[on].sum())
    assert nimbus.aal_usd > 0
    tail_vendor = next(r for r in rows if r.vendor == "harbor networks")
    assert tail_vendor.aal_usd == 0.0  # no event names a long-tail integrator


def test_family_breakdown_adds_up_to_the_aal(run):
    _, _, ylt = run
    table = family_breakdown(ylt)
    assert table["aal_usd"].sum() == pytest.approx(ylt.book_loss.mean(), rel=1e-10)
    assert table["aal_share"].sum() == pytest.approx(1.0)


def test_summary_carries_what_reproduces_it(run):
    policies, shipped, ylt = run
    summary = accumulation_summary(ylt, policies, shipped)
    assert (summary["catalog_version"], summary["years"], summary["seed"]) == ("2026.1", 4_000, 21)
    assert set(summary["ep"]) == {"oep", "aep", "oep_tvar", "aep_tvar"}
    assert list(summary["ep"]["aep"]) == list(RETURN_PERIODS)
