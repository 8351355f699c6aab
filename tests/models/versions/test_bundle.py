"""Model bundle: round trip against the raw boosters, integrity checks, risk percentiles."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
import xgboost as xgb

from models.scoring.features import build_features
from models.versions.bundle import (
    MANIFEST_FILE,
    METADATA_FILE,
    REQUIRED_FILES,
    BundleError,
    BundleVersionWarning,
    ModelBundle,
)
from tests.support.portfolio import make_portfolio


@pytest.fixture()
def bundle_copy(trained_registry, tmp_path):
    version = trained_registry.active_version()
    target = tmp_path / version
    shutil.copytree(trained_registry.root / version, target)
    return target


def _rewrite(directory, name, text):
    (directory / name).write_text(text)
    digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
    lines = [
        f"{digest}  {name}" if line.endswith(f"  {name}") else line
        for line in (directory / MANIFEST_FILE).read_text().splitlines()
    ]
    (directory / MANIFEST_FILE).write_text("\n".join(lines) + "\n")


def test_predictions_follow_the_documented_offset_convention(trained_registry):
    bundle = trained_registry.load()
    frame = make_portfolio(300, 99).policies
    rate, mu, sigma = bundle.predict(frame)
    x = build_features(frame)
    meta = bundle.metadata
    # oracle: the raw boosters plus the conventions written in metadata.json
    raw_freq = xgb.Booster(model_file=str(bundle.path / "frequency.ubj"))
    offset = np.full(len(x), meta["frequency"]["log_rate_offset"], dtype=np.float32)
    expected_rate = np.exp(raw_freq.inplace_predict(x, predict_type="margin", base_margin=offset))
    raw_sev = xgb.Booster(model_file=str(bundle.path / "severity.ubj"))
    expected_mu = raw_sev.inplace_predict(x) + meta["severity"]["mu_shift"]
    # the oracle adds the offset to the margin in float32 inside XGBoost, the bundle in
    # float64: a margin near -3 differs by a few float32 ulps (2.4e-7 each)
    np.testing.assert_allclose(rate, expected_rate, rtol=4e-6)
    np.testing.assert_allclose(mu, expected_mu, rtol=1e-6)
    assert sigma == meta["severity"]["sigma"]
    assert meta["frequency"]["log_rate_offset"] == pytest.approx(
        meta["frequency"]["intercept_log_rate"] + np.log(meta["balance"]["frequency_factor"])
    )


def test_reference_sample_and_risk_percentiles(trained_registry):
    bundle = trained_registry.load()
    assert len(bundle.reference_exposures) == bundle.metadata["reference"]["sample_rows"] == 2000
    build_features(bundle.reference_exposures)  # the sample is a valid exposure frame
    q = np.asarray(bundle.metadata["reference"]["expected_annual_loss_quantiles_usd"])
    assert np.all(np.diff(q) >= 0) and len(q) == 101
    cost = np.asarray(bundle.metadata["reference"]["loss_cost_quantiles"])
    assert np.all(np.diff(cost) >= 0) and len(cost) == 1001
    # the score is the percentile of expected loss per USD of budget
    budget = np.array([1e8, 2e8, 3e8])
    annual = cost[[0, 500, 1000]] * budget
    np.testing.assert_allclose(bundle.risk_score(annual, budget), [0.0, 50.0, 100.0], atol=1e-9)
    assert bundle.risk_score(annual[[0, 2]] * [0.1, 10], budget[[0, 2]]).tolist() == [0.0, 100.0]
    # twice the expected loss on twice the budget: the same score
    np.testing.assert_allclose(
        bundle.risk_score(annual * 2, budget * 2), [0.0, 50.0, 100.0], atol=1e-9
    )


def test_metadata_records_what_a_regulator_asks(trained_registry):
    meta = trained_registry.load().metadata
    for key in (
        "spec_hash",
        "libraries",
        "data",
        "seed",
        "hyperparameters",
        "balance",
        "metrics",
        "reference",
        "frequency",
        "severity",
        "created_at",
    ):
        assert key in meta
    assert len(meta["data"]["policies_sha256"]) == 64
    assert meta["frequency"]["base_score"] == 1.0


def test_bundle_is_small(trained_registry):
    path = trained_registry.load().path
    assert sum(p.stat().st_size for p in path.iterdir()) < 5_000_000


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_a_missing_file_is_refused(bundle_copy, name):
    (bundle_copy / name).unlink()
    with pytest.raises(BundleError, match=f"{name} is missing"):
        ModelBundle.load(bundle_copy)


def test_an_altered_file_is_refused(bundle_copy):
    with open(bundle_copy / "frequency.ubj", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BundleError, match=r"frequency\.ubj fails its SHA-256 check"):
        ModelBundle.load(bundle_copy)


def test_an_unlisted_file_is_refused(bundle_copy):
    (bundle_copy / "extra.txt").write_text("x")
    with pytest.raises(BundleError, match="not in the manifest"):
        ModelBundle.load(bundle_copy)


def test_another_field_spec_is_refused(bundle_copy):
    meta = json.loads((bundle_copy / METADATA_FILE).read_text())
    meta["spec_hash"] = "0" * 64
    _rewrite(bundle_copy, METADATA_FILE, json.dumps(meta))
    with pytest.raises(BundleError, match="another field spec"):
        ModelBundle.load(bundle_copy)


def test_other_library_versions_warn(bundle_copy):
    meta = json.loads((bundle_copy / METADATA_FILE).read_text())
    meta["libraries"]["xgboost"] = "0.1"
    _rewrite(bundle_copy, METADATA_FILE, json.dumps(meta))
    with pytest.warns(BundleVersionWarning, match="xgboost"):
        bundle = ModelBundle.load(bundle_copy)
    assert bundle.version == bundle_copy.name
