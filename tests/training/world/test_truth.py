"""Truth quantities: closed forms checked against numerical integration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from training.errors import TrainingInputError
from training.world.truth import (
    CLAIM_CAUSES,
    TRUTH_COLUMNS,
    load_truth,
    truth_annual_layer_loss,
    truth_annual_loss_by_cause,
    truth_cause_expected_counts,
    truth_expected_count,
    truth_ilf_curve,
    truth_layer_expected_loss,
    truth_lev,
    truth_mean_severity,
    truth_portfolio_quantile,
    truth_severity_cdf,
    truth_severity_quantile,
)


def _truth(rates: list[list[float]], mu: float = 11.0, sigma: float = 1.5) -> pd.DataFrame:
    cols: dict[str, object] = {"policy_id": [f"P{i}" for i in range(len(rates))]}
    r = np.array(rates)
    cols["claim_rate_per_year"] = r.sum(axis=1)
    for j, c in enumerate(CLAIM_CAUSES):
        cols[f"rate_{c}"] = r[:, j]
        cols[f"sev_mu_{c}"] = mu + 0.5 * j
        cols[f"sev_sigma_{c}"] = sigma + 0.05 * j
    return pd.DataFrame(cols)[list(TRUTH_COLUMNS)]


def _mixture_survival(truth: pd.DataFrame, row: int):
    w = truth[[f"rate_{c}" for c in CLAIM_CAUSES]].to_numpy()[row]
    w = w / w.sum()
    mus = truth[[f"sev_mu_{c}" for c in CLAIM_CAUSES]].to_numpy()[row]
    sig = truth[[f"sev_sigma_{c}" for c in CLAIM_CAUSES]].to_numpy()[row]
    return lambda x: float(sum(wi * stats.lognorm.sf(x, s, scale=np.exp(m))
                               for wi, m, s in zip(w, mus, sig, strict=True)))  # fmt: skip


def test_layer_loss_of_the_mixture_equals_integral_of_mixture_survival() -> None:
    truth = _truth([[0.01, 0.02, 0.0, 0.005, 0.0, 0.001, 0.003], [0.1] * 7])
    retention, limit = 25_000.0, 1_000_000.0
    got = truth_layer_expected_loss(truth, retention, limit)
    for row in range(2):
        expected, _ = integrate.quad(_mixture_survival(truth, row), retention, retention + limit,
                                     limit=400)  # fmt: skip
        assert got[row] == pytest.approx(expected, rel=1e-5)


def test_per_policy_retention_and_limit_arrays() -> None:
    truth = _truth([[0.01] * 7, [0.02] * 7])
    both = truth_layer_expected_loss(truth, np.array([0.0, 1e4]), np.array([1e6, 5e5]))
    assert both[0] == pytest.approx(truth_lev(truth.iloc[[0]], 1e6)[0])
    assert both[1] == pytest.approx(truth_layer_expected_loss(truth.iloc[[1]], 1e4, 5e5)[0])


def test_mean_severity_is_rate_weighted_mean_of_cause_means() -> None:
    truth = _truth([[1.0, 3.0, 0, 0, 0, 0, 0]], mu=10.0, sigma=1.0)
    m0, m1 = np.exp(10.0 + 0.5 * 1.0**2), np.exp(10.5 + 0.5 * 1.05**2)
    assert truth_mean_severity(truth)[0] == pytest.approx(0.25 * m0 + 0.75 * m1)
    assert truth_lev(truth, np.inf)[0] == pytest.approx(0.25 * m0 + 0.75 * m1, rel=1e-14)


def test_quantile_inverts_the_cdf() -> None:
    truth = _truth([[0.01, 0.02, 0.0, 0.005, 0.0, 0.001, 0.003], [0.1] * 7])
    for q in (0.1, 0.5, 0.95):
        x = truth_severity_quantile(truth, q)
        assert truth_severity_cdf(truth, x) == pytest.approx([q, q], abs=1e-9)
    one_cause = _truth([[1.0, 0, 0, 0, 0, 0, 0]], mu=12.0)
    assert truth_severity_quantile(one_cause, 0.5)[0] == pytest.approx(np.exp(12.0))
    assert truth_portfolio_quantile(one_cause, 0.5) == pytest.approx(np.exp(12.0))


def test_expected_count_and_ilf_base() -> None:
    truth = _truth([[0.01] * 7, [0.02] * 7])
    assert truth_expected_count(truth, np.array([1.0, 0.5])) == pytest.approx([0.07, 0.07])
    ilf = truth_ilf_curve(truth, [5e5, 1e6, 2e6])
    assert ilf[1e6] == pytest.approx(1.0)
    assert ilf[5e5] < 1.0 < ilf[2e6]


def test_per_cause_counts_and_annual_losses_by_hand() -> None:
    truth = _truth([[1.0, 3.0, 0, 0, 0, 0, 0], [0.1] * 7], mu=10.0, sigma=1.0)
    counts = truth_cause_expected_counts(truth, np.array([2.0, 0.5]))
    np.testing.assert_allclose(counts[0], [2.0, 6.0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(counts[1], [0.05] * 7)
    by_cause = truth_annual_loss_by_cause(truth)
    # cause j: mu 10 + 0.5 j, sigma 1 + 0.05 j (see _truth)
    assert by_cause[0, 0] == pytest.approx(1.0 * np.exp(10.0 + 0.5))
    assert by_cause[0, 1] == pytest.approx(3.0 * np.exp(10.5 + 0.5 * 1.05**2))
    assert by_cause[0, 2:].tolist() == [0.0] * 5
    total = truth["claim_rate_per_year"].to_numpy() * truth_mean_severity(truth)
    np.testing.assert_allclose(by_cause.sum(axis=1), total, rtol=1e-12)


def test_annual_layer_loss_is_rate_times_the_mixture_layer() -> None:
    truth = _truth([[0.01, 0.02, 0.0, 0.005, 0.0, 0.001, 0.003], [0.1] * 7])
    rate = truth["claim_rate_per_year"].to_numpy()
    for retention, limit in ((50_000.0, 1e6), (1e6, 4e6)):
        np.testing.assert_allclose(
            truth_annual_layer_loss(truth, retention, limit),
            rate * truth_layer_expected_loss(truth, retention, limit),
            rtol=1e-10,
        )
    per_policy = truth_annual_layer_loss(truth, np.array([0.0, 1e4]), np.array([1e6, 5e5]))
    assert per_policy[1] == pytest.approx(truth_annual_layer_loss(truth.iloc[[1]], 1e4, 5e5)[0])


def test_load_truth_round_trip_and_errors(tmp_path) -> None:
    truth = _truth([[0.01] * 7])
    path = tmp_path / "truth.csv"
    truth.to_csv(path, index=False)
    loaded = load_truth(path)
    assert np.allclose(loaded["claim_rate_per_year"], truth["claim_rate_per_year"])
    truth.drop(columns=["rate_other"]).to_csv(path, index=False)
    with pytest.raises(TrainingInputError, match=r"missing column.*rate_other"):
        load_truth(path)
    truth.assign(sev_mu_other="x").to_csv(path, index=False)
    with pytest.raises(TrainingInputError, match=r"row 2, column sev_mu_other"):
        load_truth(path)
    pd.concat([truth, truth]).to_csv(path, index=False)
    with pytest.raises(TrainingInputError, match=r"row 3, column policy_id: .* more than once"):
        load_truth(path)
