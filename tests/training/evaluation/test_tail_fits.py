"""The tail tables of the report: parameters as fitted, QQ points, the mean-excess line."""

from __future__ import annotations

import numpy as np
import pytest

from training.evaluation.tail_fits import (
    MIN_COUNT,
    TailFitShown,
    tail_fit_rows,
    tail_mean_excess,
    tail_qq,
)
from training.fitting.tail import fit_gpd, gpd_quantile

XI, B = 0.3, 0.5


@pytest.fixture(scope="module")
def shown():
    rng = np.random.default_rng(17)
    excess = gpd_quantile(rng.random(4000), XI, B)
    return TailFitShown("all causes", fit_gpd(excess, z_u=1.28), excess)


def test_the_table_row_is_the_fit(shown):
    (row,) = tail_fit_rows([shown])
    tail = shown.tail
    assert row["label"] == "all causes"
    assert row["threshold_z"] == 1.28
    assert row["exceedance_probability"] == pytest.approx(0.10027, abs=1e-5)  # 1 - Phi(1.28)
    assert (row["xi"], row["b"], row["exceedances"]) == (tail.xi, tail.b, 4000)
    assert row["xi_se"] == tail.xi_se and row["b_se"] == tail.b_se
    assert abs(row["xi"] - XI) < 3 * row["xi_se"]


def test_qq_points_pair_sorted_excesses_with_gpd_quantiles(shown):
    points = tail_qq([shown])["all causes"]
    n = len(shown.relative_excess)
    assert points["empirical"] == sorted(shown.relative_excess.tolist())
    positions = (np.arange(1, n + 1) - 0.5) / n
    np.testing.assert_allclose(points["model"], shown.tail.quantile(positions))


def test_mean_excess_scatters_around_the_fitted_line(shown):
    curve = tail_mean_excess([shown])["all causes"]
    y = np.sort(shown.relative_excess)
    assert curve["threshold"][0] == 0.0
    assert curve["threshold"][-1] == y[y.size - MIN_COUNT - 1]
    # at the splice the mean excess is the sample mean; the line there is b / (1 - xi)
    assert curve["mean_excess"][0] == pytest.approx(y.mean())
    assert curve["fitted"][0] == pytest.approx(shown.tail.b / (1 - shown.tail.xi))
    mean, fitted, se = (np.array(curve[k]) for k in ("mean_excess", "fitted", "standard_error"))
    low = np.array(curve["threshold"]) < np.quantile(y, 0.9)  # where the means are not all noise
    assert np.all(np.abs(mean[low] - fitted[low]) < 4 * se[low])


def test_too_few_excesses_give_no_mean_excess_curve(shown):
    few = TailFitShown("vendor_outage", shown.tail, shown.relative_excess[:MIN_COUNT])
    assert tail_mean_excess([few]) == {}
    assert len(tail_qq([few])["vendor_outage"]["model"]) == MIN_COUNT
