"""Holdout metrics against hand-computed values and a model that *is* the truth."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import mean_poisson_deviance

from models.pricing.cause_losses import CauseLosses
from tests.support.portfolio import make_portfolio
from tests.training.evaluation.cause_book import SIGMA, body_only, cause_book
from training.evaluation import metrics
from training.evaluation.holdout import Predictions, TailFitShown, evaluate_holdout
from training.fitting.tail import fit_gpd


def test_poisson_deviance_matches_sklearn():
    rng = np.random.default_rng(1)
    mu = rng.uniform(0.05, 2.0, 500)
    y = rng.poisson(mu)
    assert metrics.poisson_deviance(y, mu) == pytest.approx(mean_poisson_deviance(y, mu))


def test_expected_excess_deviance_is_the_mean_deviance_gap_over_poisson_draws():
    # oracle: simulate the counts; D(y, m) - D(y, t) is linear in y, so its
    # average over draws converges to the closed form at the rate of a mean
    rng = np.random.default_rng(5)
    truth = rng.uniform(0.01, 0.5, 200)
    model = truth * rng.uniform(0.6, 1.6, 200)
    draws = rng.poisson(truth, size=(20_000, 200)).astype(float)
    gaps = [metrics.poisson_deviance(y, model) - metrics.poisson_deviance(y, truth) for y in draws]
    closed = metrics.expected_excess_deviance(truth, model)
    assert closed > 0
    assert abs(np.mean(gaps) - closed) < 4 * np.std(gaps) / np.sqrt(len(gaps))
    assert metrics.expected_excess_deviance(truth, truth) == 0.0


def test_gini_of_hand_computed_lorenz_curves():
    counts, exposure = np.array([0.0, 0.0, 1.0, 1.0]), np.ones(4)
    _, y, gini = metrics.lorenz_curve(counts, np.array([1, 2, 3, 4]), exposure)
    np.testing.assert_allclose(y, [0, 0, 0, 0.5, 1.0])
    assert gini == pytest.approx(0.5)  # 1 - 2 * (0.0625 + 0.1875)
    assert metrics.lorenz_curve(counts, np.array([4, 3, 2, 1]), exposure)[2] == pytest.approx(-0.5)


def test_exposure_groups_hold_equal_exposure():
    score = np.arange(100.0)
    groups = metrics.exposure_groups(score, np.ones(100))
    assert np.bincount(groups).tolist() == [10] * 10
    assert groups[0] == 0 and groups[-1] == 9


def test_ae_interval_closed_forms():
    # no claims: the upper limit solves exp(-m) = 0.025, i.e. m = -ln(0.025)
    assert metrics.ae_interval(0.0, 10.0) == pytest.approx((0.0, -np.log(0.025) / 10.0))
    # one claim: the lower limit solves P(N >= 1) = 1 - exp(-m) = 0.025
    low, high = metrics.ae_interval(1.0, 1.0)
    assert low == pytest.approx(-np.log(0.975))
    assert high == pytest.approx(5.5716, abs=1e-4)  # Garwood's table: 5.572 for one event


def test_ae_chi2_pvalue_closed_form_and_calibrated_noise():
    rows = [
        {"actual": 12.0, "expected_m": 10.0},
        {"actual": 8.0, "expected_m": 10.0},
    ]
    # statistic 0.4 + 0.4 with 2 degrees of freedom: p = exp(-0.8 / 2)
    assert metrics.ae_chi2_pvalue(rows, "m") == pytest.approx(np.exp(-0.4))
    # a calibrated model with ~21 claims a decile (a 212-claim holdout): deviations of
    # 30% in some decile are common, yet the test rejects about 5% of the time
    rng = np.random.default_rng(7)
    expected = np.full(10, 21.2)
    pvalues, worst = [], []
    for _ in range(2000):
        actual = rng.poisson(expected).astype(float)
        table = [{"actual": a, "expected_m": e} for a, e in zip(actual, expected, strict=True)]
        pvalues.append(metrics.ae_chi2_pvalue(table, "m"))
        worst.append(np.max(np.abs(actual / expected - 1.0)))
    assert 0.035 < np.mean(np.array(pvalues) < 0.05) < 0.065
    assert np.mean(np.array(worst) > 0.30) > 0.5


def test_one_way_bands_numbers_levels_and_sets():
    frame = make_portfolio(500, 2).policies
    bands, order = metrics.one_way_levels(frame, "population", "int")
    assert len(order) == 5 and set(bands) == set(order)
    # each band holds the values up to its edge: a value equal to an edge is inside
    edge = float(order[0].removeprefix("<= "))
    inside = frame["population"] <= edge
    assert (bands[inside.to_numpy()] == order[0]).all()
    _, order = metrics.one_way_levels(frame, "mfa_remote", "ordinal")
    assert order == ["none", "partial", "all", "phishing_resistant"]
    bands, order = metrics.one_way_levels(frame, "sensitive_data", "set")
    sizes = frame["sensitive_data"].map(lambda s: len(s.split("|")) if s else 0)
    assert (bands[(sizes == 0).to_numpy()] == "0 members").all()
    assert order[-1] == "3+ members"


@pytest.fixture(scope="module")
def evaluated():
    book = cause_book(4000, 77)
    h = book.holdout
    flat_rate = h.claim_counts.sum() / h.exposure_years.sum()
    # one claim rate for everyone, split by the portfolio's cause mix, and one location
    mix = book.rate.sum(axis=0) / book.rate.sum()
    flat = CauseLosses(
        np.outer(np.full(len(h.claim_counts), flat_rate), mix),
        np.full_like(book.mu, 10.0),
        SIGMA,
        body_only(),
    )
    excess = np.geomspace(0.01, 3.0, 60)
    tails = [TailFitShown("all causes", fit_gpd(excess, 1.0), excess)]
    result = evaluate_holdout(
        h,
        book.exact("xgboost"),
        Predictions("glm", flat),
        null_rate=flat_rate,
        truth=book.truth,
        tails=tails,
    )
    return book, result


def test_a_model_that_is_the_truth_captures_all_explainable_deviance(evaluated):
    _, result = evaluated
    m = result["summary"]
    assert m["explainable_deviance_captured_xgboost"] == pytest.approx(1.0)
    assert m["explainable_deviance_captured_glm"] == pytest.approx(0.0, abs=1e-12)
    assert m["gini_xgboost"] == pytest.approx(m["gini_truth"])
    # the truth's own A/E (Poisson noise alone) is the exact model's
    assert m["ae_overall_truth"] == pytest.approx(m["ae_overall_xgboost"])
    assert m["ae_decile_max_abs_error_truth"] == pytest.approx(m["ae_decile_max_abs_error_xgboost"])
    assert m["ae_overall_glm"] == pytest.approx(1.0)
    assert m["gini_xgboost"] > 0.1 > abs(m["gini_glm"])
    # the double lift shows the flat model's A/E running away across the deciles
    errors = [m[f"double_lift_xgboost_vs_glm_error_{name}"] for name in ("glm", "xgboost")]
    assert errors[0] > 2 * errors[1]
    # the right severities score a better likelihood than one location for all
    assert m["severity_nll_per_claim_xgboost"] < m["severity_nll_per_claim_glm"]
    tables = result["tables"]
    assert len(tables["deciles_xgboost"]) == 10
    assert set(tables["one_way"]) >= {"population", "mfa_remote"}
    assert [r["label"] for r in tables["tail_fits"]] == ["all causes"]


def test_expected_excess_deviance_of_a_cause_the_truth_cannot_have():
    # t = 0: E[D(y, m)] - E[D(y, 0)] = 2 m, the deviance of y = 0 against m
    assert metrics.expected_excess_deviance(np.zeros(2), np.array([0.1, 0.3])) == pytest.approx(0.4)
