"""``python -m training score``: columns, layer arithmetic, formats and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from models.pricing.spliced import spliced_layer_expected_loss, spliced_mean
from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD
from models.scoring.features import FEATURE_NAMES, build_features
from models.spec.contract import CLAIM_CAUSES
from tests.support.portfolio import CAUSES, make_portfolio
from training.cli import main

#: models/scoring/batch.py: the totals, then three figures of each cause
TOTALS = [
    "policy_id",
    "claim_rate_per_year",
    "expected_claim_count",
    "expected_annual_ground_up_loss_usd",
    "expected_loss_usd",
    "risk_score",
]
BY_CAUSE = ["claim_rate_per_year", "expected_annual_ground_up_loss_usd", "expected_loss_usd"]
COLUMNS = TOTALS + [f"{figure}_{cause}" for cause in CLAIM_CAUSES for figure in BY_CAUSE]


@pytest.fixture(scope="module")
def policies_file(tmp_path_factory):
    policies = make_portfolio(400, 123).policies
    policies["limit_usd"] = np.nan
    policies["retention_usd"] = np.nan
    policies.loc[:9, "limit_usd"] = 5_000_000.0
    policies.loc[:4, "retention_usd"] = 250_000.0
    path = tmp_path_factory.mktemp("score") / "to_score.csv"
    policies.to_csv(path, index=False)
    return path, policies


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_scores_follow_the_bundle_and_the_layer(trained_registry, policies_file, tmp_path, suffix):
    path, policies = policies_file
    out = tmp_path / f"scores{suffix}"
    rc = main(
        [
            "score",
            "--policies",
            str(path),
            "--out",
            str(out),
            "--models-dir",
            str(trained_registry.root),
        ]
    )
    assert rc == 0
    scores = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(scores.columns) == COLUMNS
    assert scores["policy_id"].tolist() == policies["policy_id"].tolist()
    bundle = trained_registry.load()
    # oracle: the bundle's per-cause model, priced here with the spliced formulas directly
    losses = bundle.predict_losses(policies)
    rate, t = losses.rate, losses.tails
    shape = (losses.mu, losses.sigma, t.z_u, t.xi, t.b)
    exposure = policies["exposure_years"].to_numpy()
    limit = np.r_[np.full(10, 5e6), np.full(390, STANDARD_LIMIT_USD)]
    retention = np.r_[np.full(5, 2.5e5), np.full(395, STANDARD_RETENTION_USD)]
    annual = rate * spliced_mean(*shape)
    layer = (
        exposure[:, None]
        * rate
        * spliced_layer_expected_loss(retention[:, None], limit[:, None], *shape)
    )
    for k, cause in enumerate(CLAIM_CAUSES):
        np.testing.assert_allclose(scores[f"claim_rate_per_year_{cause}"], rate[:, k], rtol=1e-12)
        np.testing.assert_allclose(
            scores[f"expected_annual_ground_up_loss_usd_{cause}"], annual[:, k], rtol=1e-12
        )
        np.testing.assert_allclose(scores[f"expected_loss_usd_{cause}"], layer[:, k], rtol=1e-12)
    # each cause's rate is its signed start plus its trees, balanced (models/scoring/
    # frequency.py); a cause without training claims scores its flat start, never 0
    freq, features = bundle.frequency, build_features(policies)
    start = freq.start.log_rates(features)
    observed = bundle.meta.balance.cause_observed_claims
    for k, cause in enumerate(CLAIM_CAUSES):
        dm = xgb.DMatrix(features, feature_names=list(FEATURE_NAMES))
        trees = freq.boosters[k].predict(dm, output_margin=True).astype(np.float64)
        expected = np.exp(start[:, k] + trees) * freq.balance_factors[k]
        np.testing.assert_allclose(scores[f"claim_rate_per_year_{cause}"], expected, rtol=1e-12)
        if observed[cause] == 0:
            flat = np.exp(freq.start.intercept[k])
            np.testing.assert_allclose(scores[f"claim_rate_per_year_{cause}"], flat, rtol=1e-12)
            assert flat > 0 and freq.balance_factors[k] == 1.0
    assert sum(observed[c] == 0 for c in CLAIM_CAUSES) == len(CLAIM_CAUSES) - len(CAUSES)
    # the totals are the sums over causes (CONTRACT section 6)
    np.testing.assert_allclose(scores["claim_rate_per_year"], rate.sum(axis=1), rtol=1e-12)
    count = rate.sum(axis=1) * exposure
    np.testing.assert_allclose(scores["expected_claim_count"], count, rtol=1e-12)
    np.testing.assert_allclose(
        scores["expected_annual_ground_up_loss_usd"], annual.sum(axis=1), rtol=1e-12
    )
    np.testing.assert_allclose(scores["expected_loss_usd"], layer.sum(axis=1), rtol=1e-12)
    # the file's layer matters: a $5M limit over the standard retention holds more
    standard = (
        exposure[:, None]
        * rate
        * spliced_layer_expected_loss(STANDARD_RETENTION_USD, STANDARD_LIMIT_USD, *shape)
    )
    np.testing.assert_array_equal(layer[10:], standard[10:])
    assert np.all(layer[5:10].sum(axis=1) > standard[5:10].sum(axis=1))
    revenue = policies["annual_revenue_usd"].to_numpy()
    np.testing.assert_allclose(
        scores["risk_score"], bundle.risk_score(annual.sum(axis=1), revenue), rtol=1e-12
    )
    assert scores["risk_score"].between(0, 100).all()
    # a higher expected annual loss per USD of budget never gets a lower risk score
    order = np.argsort(annual.sum(axis=1) / revenue)
    assert np.all(np.diff(scores["risk_score"].to_numpy()[order]) >= -1e-9)


def test_unknown_version_and_empty_models_dir_are_clear_errors(
    trained_registry, policies_file, tmp_path, capsys
):
    path, _ = policies_file
    out = tmp_path / "s.csv"
    args = ["score", "--policies", str(path), "--out", str(out)]
    assert (
        main(
            [
                *args,
                "--models-dir",
                str(trained_registry.root),
                "--version",
                "2030-01-01T00-00-00Z-00000000",
            ]
        )
        == 1
    )
    assert "no bundle version 2030-01-01T00-00-00Z-00000000" in capsys.readouterr().err
    assert main([*args, "--models-dir", str(tmp_path / "empty")]) == 1
    assert "no active model" in capsys.readouterr().err
    assert (
        main([*args[:-1], str(tmp_path / "s.xlsx"), "--models-dir", str(trained_registry.root)])
        == 1
    )
    assert ".csv or .parquet" in capsys.readouterr().err
    assert not out.exists()
