"""Model bundle: round trip against the raw boosters, integrity checks, risk percentiles."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import warnings

import numpy as np
import pytest
import xgboost as xgb
from scipy.special import logsumexp

from models.scoring.features import build_features
from models.spec.contract import CLAIM_CAUSES
from models.versions.bundle import (
    CAUSE_MIX_FILE,
    FREQUENCY_FILE,
    MANIFEST_FILE,
    METADATA_FILE,
    REFERENCE_FILE,
    REQUIRED_FILES,
    SEVERITY_FILE,
    BundleError,
    BundleVersionWarning,
    ModelBundle,
    content_hash,
    core_files,
)
from models.versions.registry import DEFAULT_MODELS_DIR
from tests.support.portfolio import make_portfolio

SHIPPED = DEFAULT_MODELS_DIR / "2026-01-01T00-00-00Z-03d76d32"


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


def test_the_shipped_bundle_loads_and_round_trips_to_identical_bytes():
    assert (DEFAULT_MODELS_DIR / "ACTIVE").read_text().strip() == SHIPPED.name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BundleVersionWarning)  # another machine's libraries
        bundle = ModelBundle.load(SHIPPED)
    assert bundle.version == SHIPPED.name and bundle.meta.format == 2
    # the files that determine predictions, written again from what was loaded
    core = core_files(bundle.model, bundle.meta, bundle.reference_exposures)
    assert set(core) == {
        FREQUENCY_FILE,
        CAUSE_MIX_FILE,
        SEVERITY_FILE,
        METADATA_FILE,
        REFERENCE_FILE,
    }
    for name, blob in core.items():
        assert blob == (SHIPPED / name).read_bytes(), name
    # and so the version's hash is the content hash of those bytes
    assert SHIPPED.name.endswith("-" + content_hash(core)[:8])


def test_predict_losses_from_a_frame_equals_from_its_features(trained_registry):
    bundle = trained_registry.load()
    frame = make_portfolio(200, 98).policies
    by_frame = bundle.predict_losses(frame)
    by_features = bundle.predict_losses(build_features(frame))
    for name in ("rate", "mu", "sigma"):
        np.testing.assert_array_equal(getattr(by_frame, name), getattr(by_features, name))
    assert by_frame.tails is by_features.tails is bundle.severity.tails
    assert by_frame.rate.shape == (200, len(CLAIM_CAUSES))


def test_predictions_follow_the_documented_conventions(trained_registry):
    """Oracle: the raw boosters plus the conventions written in metadata.json (as JSON)."""
    bundle = trained_registry.load()
    frame = make_portfolio(300, 99).policies
    losses = bundle.predict_losses(frame)
    x = build_features(frame)
    meta = json.loads((bundle.path / METADATA_FILE).read_text())
    freq, mix, sev = meta["frequency"], meta["cause_mix"], meta["severity"]
    # total rate: log(claims per year) = log_rate_offset + trees(features)
    raw_freq = xgb.Booster(model_file=str(bundle.path / FREQUENCY_FILE))
    offset = np.full(len(x), freq["log_rate_offset"], dtype=np.float32)
    total = np.exp(raw_freq.inplace_predict(x, predict_type="margin", base_margin=offset))
    # the oracle adds the offset to the margin in float32 inside XGBoost, the bundle in
    # float64: a margin near -3 differs by a few float32 ulps (2.4e-7 each)
    np.testing.assert_allclose(bundle.frequency.claim_rate_per_year(x), total, rtol=4e-6)
    t = frame["exposure_years"].to_numpy()
    np.testing.assert_allclose(bundle.frequency.expected_claim_count(x, t), total * t, rtol=4e-6)
    assert freq["log_rate_offset"] == pytest.approx(
        freq["intercept_log_rate"] + np.log(meta["balance"]["frequency_factor"])
    )
    assert freq["base_score"] == 1.0
    # cause mix: softprob(trees + base_margin), base_margin = log_softmax(intercept + coef @ z)
    values = x.astype(np.float64)
    logged = np.log1p(np.maximum(values, 0.0))
    z = np.where(np.asarray(mix["inputs_log_columns"], bool), logged, values)
    z = (z - np.asarray(mix["inputs_mean"])) / np.asarray(mix["inputs_scale"])
    coef = np.array([mix["logit_coef"][c] for c in CLAIM_CAUSES])
    odds = z @ coef.T + np.array([mix["logit_intercept"][c] for c in CLAIM_CAUSES])
    base = odds - logsumexp(odds, axis=1, keepdims=True)
    raw_mix = xgb.Booster(model_file=str(bundle.path / CAUSE_MIX_FILE))
    shares = raw_mix.inplace_predict(x, base_margin=base.astype(np.float32))
    factors = np.array([mix["cause_factors"][c] for c in CLAIM_CAUSES])
    np.testing.assert_allclose(losses.rate, total[:, None] * shares * factors, rtol=1e-5)
    # so the all-cause rate is the total rate times sum_c mix_c x factor_c (1 before the balance)
    np.testing.assert_allclose(
        losses.claim_rate_per_year, total * (shares * factors).sum(axis=1), rtol=1e-5
    )
    # severity: trees(features, one-hot of the cause) + mu_shift[cause]; sigma by cause
    raw_sev = xgb.Booster(model_file=str(bundle.path / SEVERITY_FILE))
    for c, cause in enumerate(CLAIM_CAUSES):
        one_hot = np.zeros((len(x), len(CLAIM_CAUSES)), np.float32)
        one_hot[:, c] = 1.0
        mu = raw_sev.inplace_predict(np.hstack([x, one_hot])) + sev["mu_shift"][cause]
        np.testing.assert_allclose(losses.mu[:, c], mu, rtol=1e-6)
        assert losses.sigma[c] == sev["sigma"][cause]
        tail = sev["tails"][cause]
        assert (losses.tails.z_u[c], losses.tails.xi[c], losses.tails.b[c]) == (
            tail["z_u"],
            tail["xi"],
            tail["b"],
        )
    assert sev["feature_names"] == list(meta["feature_names"]) + [
        f"cause_{c}" for c in CLAIM_CAUSES
    ]


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
        "cause_mix",
        "severity",
        "created_at",
    ):
        assert key in meta
    assert len(meta["data"]["policies_sha256"]) == 64
    assert meta["frequency"]["base_score"] == 1.0
    # every per-cause table names every cause of the contract, no more
    by_cause = [
        meta["cause_mix"][k] for k in ("logit_intercept", "logit_coef", "cause_factors")
    ] + [meta["severity"][k] for k in ("sigma", "mu_shift", "tails")]
    by_cause += [meta["balance"][k] for k in meta["balance"] if k.startswith("cause_")]
    for table in by_cause:
        assert list(table) == sorted(CLAIM_CAUSES)


def test_bundle_is_small(trained_registry):
    path = trained_registry.load().path
    assert sum(p.stat().st_size for p in path.iterdir()) < 5_000_000


def test_every_booster_is_a_required_file():
    assert {FREQUENCY_FILE, CAUSE_MIX_FILE, SEVERITY_FILE} <= set(REQUIRED_FILES)
    assert CAUSE_MIX_FILE == "cause_mix.ubj"


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_a_missing_file_is_refused(bundle_copy, name):
    (bundle_copy / name).unlink()
    with pytest.raises(BundleError, match=f"{name} is missing"):
        ModelBundle.load(bundle_copy)


@pytest.mark.parametrize("name", [FREQUENCY_FILE, CAUSE_MIX_FILE, SEVERITY_FILE, METADATA_FILE])
def test_an_altered_file_is_refused(bundle_copy, name):
    with open(bundle_copy / name, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BundleError, match=rf"{re.escape(name)} fails its SHA-256 check"):
        ModelBundle.load(bundle_copy)


def test_a_file_missing_from_the_manifest_is_refused(bundle_copy):
    lines = (bundle_copy / MANIFEST_FILE).read_text().splitlines()
    kept = [line for line in lines if not line.endswith(f"  {CAUSE_MIX_FILE}")]
    assert len(kept) == len(lines) - 1
    (bundle_copy / MANIFEST_FILE).write_text("\n".join(kept) + "\n")
    with pytest.raises(BundleError, match=r"cause_mix\.ubj is not in MANIFEST\.sha256"):
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
