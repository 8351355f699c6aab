"""``python -m training score``: columns, layer arithmetic, formats and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.pricing.lognormal import layer_expected_loss
from models.scoring.batch import STANDARD_LIMIT_USD, STANDARD_RETENTION_USD
from tests.support.portfolio import make_portfolio
from training.cli import main

COLUMNS = [
    "policy_id",
    "claim_rate_per_year",
    "expected_claim_count",
    "severity_mu",
    "severity_sigma",
    "expected_loss_usd",
    "risk_score",
]


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
    rate, mu, sigma = bundle.predict(policies)
    np.testing.assert_allclose(scores["claim_rate_per_year"], rate, rtol=1e-12)
    count = rate * policies["exposure_years"].to_numpy()
    np.testing.assert_allclose(scores["expected_claim_count"], count, rtol=1e-12)
    limit = np.r_[np.full(10, 5e6), np.full(390, STANDARD_LIMIT_USD)]
    retention = np.r_[np.full(5, 2.5e5), np.full(395, STANDARD_RETENTION_USD)]
    expected = count * layer_expected_loss(retention, limit, mu, sigma)
    np.testing.assert_allclose(scores["expected_loss_usd"], expected, rtol=1e-12)
    assert scores["severity_sigma"].eq(sigma).all()
    assert scores["risk_score"].between(0, 100).all()
    # a higher expected annual loss per USD of budget never gets a lower risk score
    order = np.argsort(rate * np.exp(mu) / policies["annual_revenue_usd"].to_numpy())
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
