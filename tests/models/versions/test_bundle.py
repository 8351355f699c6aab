"""Model bundle: round trip against the raw boosters, integrity checks, risk percentiles."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS, build_features
from models.spec.contract import CLAIM_CAUSES
from models.versions.bundle import (
    FREQUENCY_FILES,
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
    frequency_file,
)
from models.versions.registry import DEFAULT_MODELS_DIR
from tests.support.portfolio import make_portfolio

#: The shipped bundle is whatever models/bundles/ACTIVE names (the integrator rebuilds it).
SHIPPED = DEFAULT_MODELS_DIR / (DEFAULT_MODELS_DIR / "ACTIVE").read_text().strip()
CORE = {*FREQUENCY_FILES, SEVERITY_FILE, METADATA_FILE, REFERENCE_FILE}


def _shipped() -> ModelBundle:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BundleVersionWarning)  # another machine's libraries
        return ModelBundle.load(SHIPPED)


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
    bundle = _shipped()
    assert bundle.version == SHIPPED.name and bundle.meta.format == 4
    # the files that determine predictions, written again from what was loaded
    core = core_files(bundle.model, bundle.meta, bundle.reference_exposures)
    assert set(core) == CORE
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


@pytest.fixture(params=["trained", "shipped"])
def any_bundle(request, trained_registry):
    return trained_registry.load() if request.param == "trained" else _shipped()


def test_predictions_follow_the_documented_conventions(any_bundle):
    """Oracle: the raw booster files plus the conventions written in metadata.json (as JSON).

    log(claims per year of c) = start_c + trees_c + log(balance_c), start_c = intercept_c +
    coef_c @ z, z the standardised inputs (log1p where marked); the start goes in as
    base_margin (+ log(exposure_years) for an expected count).
    """
    bundle = any_bundle
    frame = make_portfolio(300, 99).policies
    losses = bundle.predict_losses(frame)
    x = build_features(frame)
    t = frame["exposure_years"].to_numpy()
    meta = json.loads((bundle.path / METADATA_FILE).read_text())
    freq, sev = meta["frequency"], meta["severity"]
    assert freq["base_score"] == 1.0 and freq["objective"] == "count:poisson"
    values = x.astype(np.float64)
    logged = np.log1p(np.maximum(values, 0.0))
    z = np.where(np.asarray(freq["inputs_log_columns"], bool), logged, values)
    z = (z - np.asarray(freq["inputs_mean"])) / np.asarray(freq["inputs_scale"])
    for c, cause in enumerate(CLAIM_CAUSES):
        assert freq["boosters"][cause] == frequency_file(cause) == FREQUENCY_FILES[c]
        coef = np.asarray(freq["start_coef"][cause])
        assert np.all(coef * MONOTONE_CONSTRAINTS >= 0), cause
        start = freq["start_intercept"][cause] + z @ coef
        raw = xgb.Booster(model_file=str(bundle.path / freq["boosters"][cause]))
        # cut at the best round: the file holds exactly the trees used (none without claims)
        assert raw.num_boosted_rounds() == freq["best_iteration"][cause] + 1, cause
        margin = raw.inplace_predict(x, predict_type="margin", base_margin=start.astype(np.float32))
        rate = np.exp(margin) * freq["balance_factor"][cause]
        # the oracle adds the start to the margin in float32 inside XGBoost, the bundle in
        # float64: a margin near -7 differs by a few float32 ulps (4.8e-7 each)
        np.testing.assert_allclose(losses.rate[:, c], rate, rtol=4e-6, err_msg=cause)
        # an expected count: the same booster with log(exposure_years) added to base_margin
        offset = (np.log(t) + start).astype(np.float32)
        counts = raw.predict(
            xgb.DMatrix(x, base_margin=offset, feature_names=meta["feature_names"])
        )
        np.testing.assert_allclose(
            losses.rate[:, c] * t, counts * freq["balance_factor"][cause], rtol=4e-6
        )
    np.testing.assert_allclose(
        losses.claim_rate_per_year, bundle.frequency.claim_rate_per_year(x), rtol=1e-12
    )
    # severity: start + trees(features, one-hot of the cause) + mu_shift[cause], the start
    # start_level + start_slope @ (columns - start_center) as base_margin, the columns
    # log1p(start_features), then max(log1p(budget) - start_knot, 0)
    raw_sev = xgb.Booster(model_file=str(bundle.path / SEVERITY_FILE))
    columns = [FEATURE_NAMES.index(name) for name in sev["start_features"]]
    sizes = np.log1p(x[:, columns].astype(np.float64))
    budget = np.log1p(x[:, FEATURE_NAMES.index("annual_revenue_usd")].astype(np.float64))
    large_estate = np.maximum(budget - sev["start_knot"], 0.0)
    log_sizes = np.column_stack([sizes, large_estate]) - np.array(sev["start_center"])
    for c, cause in enumerate(CLAIM_CAUSES):
        one_hot = np.zeros((len(x), len(CLAIM_CAUSES)), np.float32)
        one_hot[:, c] = 1.0
        start = sev["start_level"][cause] + log_sizes @ np.array(sev["start_slope"][cause])
        assert min(sev["start_slope"][cause]) >= 0.0  # each size's direction (+)
        matrix = xgb.DMatrix(
            np.hstack([x, one_hot]), base_margin=start, feature_names=sev["feature_names"]
        )
        mu = raw_sev.predict(matrix, output_margin=True) + sev["mu_shift"][cause]
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


def test_a_cause_without_training_claims_has_no_trees_and_half_a_claim(
    trained_registry, portfolio_dir
):
    """The test portfolio's claims are ransomware, data breach and other: four causes have none.

    Oracle: half a claim over the training split's exposure (the split recomputed from the
    seed in metadata.json), the same rate for every city, no trees and no balance.
    """
    from training.fitting.boosters import split_policies

    bundle = trained_registry.load()
    meta = bundle.meta
    exposure = pd.read_csv(portfolio_dir / "policies.csv")["exposure_years"].to_numpy()
    train_years = exposure[split_policies(len(exposure), meta.seed).train].sum()
    claimless = [c for c in CLAIM_CAUSES if meta.balance.cause_observed_claims[c] == 0]
    assert claimless == ["business_email_compromise", "ot_disruption", "vendor_outage",
                         "privacy_regulatory"]  # fmt: skip
    x = build_features(make_portfolio(50, 97).policies)
    rates = bundle.frequency.claim_rates(x)
    for cause in claimless:
        c = CLAIM_CAUSES.index(cause)
        assert meta.frequency.best_iteration[cause] == -1
        assert bundle.frequency.boosters[c].num_boosted_rounds() == 0
        assert not any(meta.frequency.start_coef[cause])
        assert meta.frequency.balance_factor[cause] == 1.0  # nothing to balance to
        assert meta.frequency.start_intercept[cause] == pytest.approx(
            np.log(0.5 / train_years), rel=1e-12
        )
        np.testing.assert_allclose(rates[:, c], 0.5 / train_years, rtol=1e-12)
    # and a cause with claims has trees or at least one slope
    assert all(meta.frequency.best_iteration[c] >= 0 for c in CLAIM_CAUSES if c not in claimless)


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
    assert "cause_mix" not in meta
    assert len(meta["data"]["policies_sha256"]) == 64
    assert meta["frequency"]["base_score"] == 1.0
    # every per-cause table names every cause of the contract, no more
    freq = meta["frequency"]
    by_cause = [freq[k] for k in ("boosters", "start_intercept", "start_coef", "start_penalty",
                                  "balance_factor", "best_iteration")]  # fmt: skip
    by_cause += [meta["severity"][k] for k in ("sigma", "mu_shift", "tails")]
    by_cause += [meta["balance"][k] for k in meta["balance"] if k.startswith("cause_")]
    for table in by_cause:
        assert list(table) == sorted(CLAIM_CAUSES)


def test_bundle_is_small(trained_registry):
    path = trained_registry.load().path
    assert sum(p.stat().st_size for p in path.iterdir()) < 5_000_000


def test_every_booster_is_a_required_file():
    assert tuple(f"frequency_{c}.ubj" for c in CLAIM_CAUSES) == FREQUENCY_FILES
    assert {*FREQUENCY_FILES, SEVERITY_FILE} <= set(REQUIRED_FILES)
    assert len(set(REQUIRED_FILES)) == len(REQUIRED_FILES) == len(CORE) + 2  # + card, report


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_a_missing_file_is_refused(bundle_copy, name):
    (bundle_copy / name).unlink()
    with pytest.raises(BundleError, match=f"{re.escape(name)} is missing"):
        ModelBundle.load(bundle_copy)


@pytest.mark.parametrize("name", [*FREQUENCY_FILES, SEVERITY_FILE, METADATA_FILE])
def test_an_altered_file_is_refused(bundle_copy, name):
    with open(bundle_copy / name, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BundleError, match=rf"{re.escape(name)} fails its SHA-256 check"):
        ModelBundle.load(bundle_copy)


@pytest.mark.parametrize("name", [FREQUENCY_FILES[0], FREQUENCY_FILES[-1]])
def test_a_file_missing_from_the_manifest_is_refused(bundle_copy, name):
    lines = (bundle_copy / MANIFEST_FILE).read_text().splitlines()
    kept = [line for line in lines if not line.endswith(f"  {name}")]
    assert len(kept) == len(lines) - 1
    (bundle_copy / MANIFEST_FILE).write_text("\n".join(kept) + "\n")
    with pytest.raises(BundleError, match=rf"{re.escape(name)} is not in MANIFEST\.sha256"):
        ModelBundle.load(bundle_copy)


def test_a_per_cause_booster_of_the_old_layout_is_not_a_bundle(bundle_copy):
    """A format-2 bundle of the cause-mix design: frequency.ubj, no per-cause boosters."""
    name = FREQUENCY_FILES[1]
    (bundle_copy / name).rename(bundle_copy / "frequency.ubj")
    _rewrite(bundle_copy, MANIFEST_FILE, (bundle_copy / MANIFEST_FILE).read_text().replace(
        f"  {name}\n", "  frequency.ubj\n"))  # fmt: skip
    with pytest.raises(BundleError, match=rf"{re.escape(name)} is not in MANIFEST\.sha256"):
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


def test_a_severity_start_on_other_sizes_is_refused(bundle_copy):
    # the start's slopes are only meaningful on the size measures the code computes
    meta = json.loads((bundle_copy / METADATA_FILE).read_text())
    meta["severity"]["start_features"] = ["population", "pii_records", "ot_device_count"]
    _rewrite(bundle_copy, METADATA_FILE, json.dumps(meta))
    with pytest.raises(BundleError, match=r"the severity start is on \['population'"):
        ModelBundle.load(bundle_copy)


def test_a_severity_start_of_another_width_is_refused(bundle_copy):
    # a start without the large-estate column (a format-3 start relabelled as format 4)
    meta = json.loads((bundle_copy / METADATA_FILE).read_text())
    sev = meta["severity"]
    sev["start_center"] = sev["start_center"][:3]
    sev["start_slope"] = {c: row[:3] for c, row in sev["start_slope"].items()}
    _rewrite(bundle_copy, METADATA_FILE, json.dumps(meta))
    with pytest.raises(BundleError, match=r"the severity start has \[3\] columns"):
        ModelBundle.load(bundle_copy)


def test_other_library_versions_warn(bundle_copy):
    meta = json.loads((bundle_copy / METADATA_FILE).read_text())
    meta["libraries"]["xgboost"] = "0.1"
    _rewrite(bundle_copy, METADATA_FILE, json.dumps(meta))
    with pytest.warns(BundleVersionWarning, match="xgboost"):
        bundle = ModelBundle.load(bundle_copy)
    assert bundle.version == bundle_copy.name
