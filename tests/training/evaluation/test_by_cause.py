"""Per-cause evaluation: hand-computed A/E and deviance, and a model that is the truth."""

from __future__ import annotations

import numpy as np
import pytest

from models.pricing.cause_losses import CauseLosses
from models.spec.contract import CLAIM_CAUSES
from models.versions.metadata import GLM, TRUTH, XGBOOST, Metric, cause_metric
from tests.training.evaluation.cause_book import (
    SIGMA,
    body_only,
    cause_book,
    flat_mix,
)
from training.evaluation import table_names
from training.evaluation.by_cause import (
    cause_counts,
    cause_index,
    cause_mix_by_decile,
    cause_rows,
)
from training.evaluation.holdout import Predictions, evaluate_holdout
from training.evaluation.truth_checks import mix_tv_distance

K = len(CLAIM_CAUSES)


def test_cause_ae_and_deviance_by_hand():
    # three policies, every cause at 0.1 claims a year; claims (owner, cause):
    # (0, ransomware), (0, data_breach), (1, ransomware), (2, other)
    exposure = np.array([1.0, 2.0, 0.5])
    counts = cause_counts(np.array([0, 0, 1, 2]), np.array([0, 1, 0, 6]), 3)
    expected = np.full((3, K), 0.1) * exposure[:, np.newaxis]
    rows = cause_rows(counts, {"m": expected})
    by = {r["cause"]: r for r in rows}
    # each cause expects 0.1 x 3.5 = 0.35 claims
    assert by["ransomware"]["actual"] == 2.0
    assert by["ransomware"]["ae_m"] == pytest.approx(2.0 / 0.35)
    assert by["ot_disruption"]["ae_m"] == 0.0
    # 2 [y ln(y/m) - (y - m)] per policy, mean over the three
    ransomware = (2 * (np.log(10) - 0.9) + 2 * (np.log(5) - 0.8) + 2 * 0.05) / 3
    breach = (2 * (np.log(10) - 0.9) + 2 * 0.2 + 2 * 0.05) / 3
    other = (2 * 0.1 + 2 * 0.2 + 2 * (np.log(1 / 0.05) - 0.95)) / 3
    assert by["ransomware"]["deviance_m"] == pytest.approx(ransomware, rel=1e-12)
    assert by["data_breach"]["deviance_m"] == pytest.approx(breach, rel=1e-12)
    assert by["other"]["deviance_m"] == pytest.approx(other, rel=1e-12)
    assert by["vendor_outage"]["deviance_m"] == pytest.approx(2 * 0.35 / 3, rel=1e-12)
    # the exact Poisson interval of 2 claims against 0.35 holds the A/E
    assert (
        by["ransomware"]["ae_low95_m"] < by["ransomware"]["ae_m"] < by["ransomware"]["ae_high95_m"]
    )


def test_cause_index_maps_names_and_refuses_unknown_ones():
    assert cause_index(np.array(["other", "ransomware"])).tolist() == [6, 0]
    with pytest.raises(ValueError, match="unknown claim cause"):
        cause_index(np.array(["meteor"]))


@pytest.fixture(scope="module")
def evaluated():
    book = cause_book(6000, 3)
    h = book.holdout
    null_rate = float(h.claim_counts.sum() / h.exposure_years.sum())
    result = evaluate_holdout(
        h, book.exact(XGBOOST), flat_mix(book, GLM), null_rate=null_rate, truth=book.truth
    )
    return book, result


def test_per_cause_summary_figures_are_the_table_rows(evaluated):
    book, result = evaluated
    m, rows = result["summary"], result["tables"][table_names.BY_CAUSE]
    counts = book.holdout.cause_counts()
    assert [r["cause"] for r in rows] == list(CLAIM_CAUSES)
    for c, row in enumerate(rows):
        expected = (book.rate[:, c] * book.holdout.exposure_years).sum()
        ae = counts[:, c].sum() / expected
        assert m[cause_metric(Metric.CAUSE_AE, row["cause"], XGBOOST)] == pytest.approx(ae)
        # the truth scored as a model is the exact model: same A/E and deviance
        assert m[cause_metric(Metric.CAUSE_AE, row["cause"], TRUTH)] == pytest.approx(ae)
        assert m[cause_metric(Metric.CAUSE_POISSON_DEVIANCE, row["cause"], TRUTH)] == (
            pytest.approx(m[cause_metric(Metric.CAUSE_POISSON_DEVIANCE, row["cause"], XGBOOST)])
        )
    assert sum(r["actual"] for r in rows) == m["holdout_claims"]


def test_a_model_equal_to_the_truth_has_no_expected_excess_deviance(evaluated):
    _, result = evaluated
    m = result["summary"]
    for cause in CLAIM_CAUSES:
        assert m[cause_metric(Metric.CAUSE_EXPECTED_EXCESS_DEVIANCE, cause, XGBOOST)] == 0.0
    assert m[Metric.EXPECTED_EXCESS_DEVIANCE.of(XGBOOST)] == 0.0
    # the flat mix has the right total rate but the wrong causes: positive, cause by cause
    assert m[Metric.EXPECTED_EXCESS_DEVIANCE.of(GLM)] > 0.0
    assert all(
        m[cause_metric(Metric.CAUSE_EXPECTED_EXCESS_DEVIANCE, c, GLM)] > 0 for c in CLAIM_CAUSES
    )
    # with the same total rates, both capture the same explainable deviance of the total
    assert m[Metric.EXPLAINABLE_DEVIANCE_CAPTURED.of(XGBOOST)] == pytest.approx(1.0)
    assert m[Metric.EXPLAINABLE_DEVIANCE_CAPTURED.of(GLM)] == pytest.approx(1.0)


def test_the_truth_has_no_cause_mix_distance_nor_layer_error(evaluated):
    _, result = evaluated
    m = result["summary"]
    assert m[Metric.CAUSE_MIX_TV_DISTANCE.of(XGBOOST)] == pytest.approx(0.0, abs=1e-12)
    assert m[Metric.CAUSE_MIX_TV_DISTANCE.of(GLM)] > 0.05
    for metric in (
        Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR,
        Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
        Metric.EXCESS_LAYER_PURE_PREMIUM_TOTAL_ERROR,
        Metric.EXCESS_LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
    ):
        assert m[metric.of(XGBOOST)] == pytest.approx(0.0, abs=1e-9)


def test_twice_the_claims_is_twice_the_layer_pure_premium():
    book = cause_book(500, 8)
    h = book.holdout
    double = Predictions(XGBOOST, CauseLosses(2 * book.rate, book.mu, SIGMA, body_only()))
    result = evaluate_holdout(h, double, book.exact(GLM), null_rate=0.3, truth=book.truth)
    m = result["summary"]
    for metric in (
        Metric.LAYER_PURE_PREMIUM_TOTAL_ERROR,
        Metric.LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
        Metric.EXCESS_LAYER_PURE_PREMIUM_TOTAL_ERROR,
        Metric.EXCESS_LAYER_PURE_PREMIUM_MEAN_ABS_ERROR,
    ):
        assert m[metric.of(XGBOOST)] == pytest.approx(1.0, rel=1e-9)
    # twice every cause rate: the same cause mix
    assert m[Metric.CAUSE_MIX_TV_DISTANCE.of(XGBOOST)] == pytest.approx(0.0, abs=1e-12)
    assert m[Metric.TRUTH_AE_OVERALL.of(XGBOOST)] == pytest.approx(0.5)


def test_tv_distance_by_hand():
    p = np.array([[1.0, 1.0, 0.0], [2.0, 0.0, 0.0]])
    q = np.array([[1.0, 0.0, 1.0], [4.0, 0.0, 0.0]])
    # shares (0.5, 0.5, 0) vs (0.5, 0, 0.5): 1/2 (0 + 0.5 + 0.5); the same mix at any scale: 0
    np.testing.assert_allclose(mix_tv_distance(p, q), [0.5, 0.0])
    assert mix_tv_distance(q, q).tolist() == [0.0, 0.0]


def test_cause_mix_by_decile_shares_sum_to_one_and_match_the_band(evaluated):
    book, result = evaluated
    rows = result["tables"][table_names.cause_mix(XGBOOST)]
    assert len(rows) == 10
    for row in rows:
        predicted = [row[table_names.predicted_share_column(c)] for c in CLAIM_CAUSES]
        actual = [row[table_names.actual_share_column(c)] for c in CLAIM_CAUSES]
        assert sum(predicted) == pytest.approx(1.0, rel=1e-12)
        assert row["claims"] > 0 and sum(actual) == pytest.approx(1.0, rel=1e-12)
    # the top decile by hand: the 10% of exposure with the highest total rate
    h = book.holdout
    expected = book.rate * h.exposure_years[:, np.newaxis]
    total_rate = book.rate.sum(axis=1)
    order = np.argsort(total_rate, kind="stable")
    before = np.cumsum(h.exposure_years[order]) - h.exposure_years[order]
    top = order[before >= 0.9 * h.exposure_years.sum()]
    share = expected[top, 0].sum() / expected[top].sum()
    assert rows[-1][table_names.predicted_share_column("ransomware")] == pytest.approx(share)
    counts = h.cause_counts()
    actual = counts[top, -1].sum() / counts[top].sum()
    assert rows[-1][table_names.actual_share_column("other")] == pytest.approx(actual)
    # the book's causes lean on size differently: the mix moves across the deciles
    share_col = table_names.predicted_share_column(CLAIM_CAUSES[-1])
    assert rows[-1][share_col] > rows[0][share_col] + 0.1


def test_cause_mix_of_a_band_without_claims_is_zero():
    rows = cause_mix_by_decile(np.zeros((20, K)), np.full((20, K), 0.01), np.ones(20))
    assert all(r["claims"] == 0 and r[table_names.actual_share_column("other")] == 0 for r in rows)
