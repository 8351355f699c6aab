"""The describe stage: the texts it stores are those of the shipped bundle, word for word.

The bundle version hashes metadata.json, so ``make model`` reproduces the
shipped version only if every stored text is unchanged (the package layout
once changed a path inside the severity convention, and with it the version).
The shipped bundle is the one models/bundles/ACTIVE names (it is rebuilt
whenever the model changes, so no version is written here).

Oracle of the frequency convention: its own words, recomputed here with
XGBoost's own ``base_margin`` from the numbers metadata.json stores, must give
the claim rates the loaded bundle prices with.
"""

from __future__ import annotations

import numpy as np
import xgboost as xgb

from models.scoring.features import FEATURE_NAMES, build_features
from models.scoring.severity import CAUSE_COLUMNS
from models.spec.contract import CLAIM_CAUSES
from models.versions.bundle import FREQUENCY_FILES, METADATA_FILE, SEVERITY_FILE, frequency_file
from models.versions.metadata import FORMAT_VERSION, BundleMetadata
from models.versions.registry import DEFAULT_MODELS_DIR, Registry
from tests.support.portfolio import exposure_frame
from training.bundle_description import (
    FREQUENCY_CONVENTION,
    REFERENCE_SAMPLE_ROWS,
    SEVERITY_CONVENTION,
)
from training.fitting.cause_tails import POOLED


def shipped_metadata() -> BundleMetadata:
    version = Registry(DEFAULT_MODELS_DIR).active_version()
    assert version is not None, "models/bundles/ACTIVE names no version"
    return BundleMetadata.from_json((DEFAULT_MODELS_DIR / version / METADATA_FILE).read_text())


def test_the_stored_texts_are_the_shipped_bundles() -> None:
    shipped = shipped_metadata()
    assert shipped.format == FORMAT_VERSION == 4
    assert shipped.frequency.offset_convention == FREQUENCY_CONVENTION
    assert shipped.severity.convention == SEVERITY_CONVENTION
    assert shipped.reference.sample_rows == REFERENCE_SAMPLE_ROWS
    assert shipped.frequency.boosters == {c: frequency_file(c) for c in CLAIM_CAUSES}
    assert shipped.severity.booster == SEVERITY_FILE


def test_a_trained_bundle_describes_itself_as_the_pipeline_wrote_it(trained_registry) -> None:
    bundle = trained_registry.load()
    meta = bundle.meta
    assert meta.format == FORMAT_VERSION
    assert meta.frequency.offset_convention == FREQUENCY_CONVENTION
    assert meta.severity.convention == SEVERITY_CONVENTION
    assert meta.frequency.boosters == dict(zip(CLAIM_CAUSES, FREQUENCY_FILES, strict=True))
    assert set(FREQUENCY_FILES) == {f"frequency_{c}.ubj" for c in CLAIM_CAUSES}
    assert all((bundle.path / name).is_file() for name in FREQUENCY_FILES)
    assert (meta.frequency.objective, meta.frequency.base_score) == ("count:poisson", 1.0)
    assert meta.severity.booster == SEVERITY_FILE
    assert meta.split.train + meta.split.valid + meta.split.holdout == meta.data.policies
    assert meta.reference.sample_rows == min(REFERENCE_SAMPLE_ROWS, meta.data.policies)
    assert meta.severity.feature_names == FEATURE_NAMES + CAUSE_COLUMNS


def test_the_per_cause_metadata_is_the_loaded_models(trained_registry) -> None:
    # what the bundle reads back to price (models/versions/bundle.py) is what describe wrote
    bundle = trained_registry.load()
    meta, sev, freq = bundle.meta, bundle.model.severity, bundle.model.frequency
    f = meta.frequency
    by_causes = (
        meta.severity.sigma, meta.severity.mu_shift, meta.severity.tails, f.boosters,
        f.start_intercept, f.start_coef, f.start_penalty, f.balance_factor, f.best_iteration,
    )  # fmt: skip
    for by_cause in by_causes:
        assert sorted(by_cause) == sorted(CLAIM_CAUSES)  # JSON keys come back sorted
    np.testing.assert_array_equal(freq.start.inputs.log_columns, f.inputs_log_columns)
    np.testing.assert_array_equal(freq.start.inputs.mean, f.inputs_mean)
    np.testing.assert_array_equal(freq.start.inputs.scale, f.inputs_scale)
    for k, c in enumerate(CLAIM_CAUSES):
        tail = meta.severity.tails[c]
        assert (tail.z_u, tail.xi, tail.b) == (sev.tails.z_u[k], sev.tails.xi[k], sev.tails.b[k])
        assert meta.severity.sigma[c] == sev.sigma[k]
        assert meta.severity.mu_shift[c] == sev.mu_shift[k] == meta.balance.cause_mu_shift[c]
        assert f.start_intercept[c] == freq.start.intercept[k]
        assert f.start_coef[c] == tuple(freq.start.coef[k])
        assert len(f.start_coef[c]) == len(FEATURE_NAMES)
        assert f.start_penalty[c] == freq.start.penalty[k]
        assert f.balance_factor[c] == freq.balance_factors[k] == meta.balance.cause_claim_factors[c]
        assert f.best_iteration[c] == freq.best_iterations[k]
        # the saved trees are exactly those up to the best round (-1: none, no claims)
        assert freq.boosters[k].num_boosted_rounds() == f.best_iteration[c] + 1
        # the test portfolio (about 2,100 training policies) is too small for an own tail
        assert tail.fitted_on == POOLED
    # one pooled fit: one exceedance count and one threshold for every cause; the
    # shape is the pooled excesses' on each cause's sigma (training/fitting/cause_tails.py)
    assert len({t.exceedances for t in meta.severity.tails.values()}) == 1
    assert np.unique(sev.tails.z_u).size == 1
    order = np.argsort(sev.sigma)
    assert np.all(np.diff(sev.tails.xi[order]) >= 0)  # a wider body, a heavier tail
    assert set(meta.baseline_balance.cause_mu_shift) == set(CLAIM_CAUSES)


def test_the_frequency_convention_text_is_how_the_bundle_predicts(trained_registry) -> None:
    # FREQUENCY_CONVENTION, word for word, from metadata.json and the booster files alone
    bundle = trained_registry.load()
    f = bundle.meta.frequency
    features = build_features(exposure_frame(300, seed=23))
    x = features.astype(np.float64)
    log_x = np.where(np.asarray(f.inputs_log_columns, dtype=bool), np.log1p(np.maximum(x, 0)), x)
    z = (log_x - np.asarray(f.inputs_mean)) / np.asarray(f.inputs_scale)
    exposure = np.random.default_rng(23).uniform(0.25, 1.5, len(x))
    rates, counts = bundle.frequency.claim_rates(features), np.empty((len(x), len(CLAIM_CAUSES)))
    for k, c in enumerate(CLAIM_CAUSES):
        start = f.start_intercept[c] + z @ np.asarray(f.start_coef[c])
        booster = xgb.Booster(model_file=str(bundle.path / f.boosters[c]))
        for margin, out in ((start, None), (start + np.log(exposure), counts)):
            dm = xgb.DMatrix(features, base_margin=margin, feature_names=list(FEATURE_NAMES))
            log_value = booster.predict(dm, output_margin=True).astype(np.float64)
            log_value += np.log(f.balance_factor[c])
            if out is None:
                # atol 1e-5 in log: XGBoost holds the base margin and the margin in float32
                np.testing.assert_allclose(log_value, np.log(rates[:, k]), rtol=0, atol=1e-5)
            else:
                out[:, k] = np.exp(log_value)
    np.testing.assert_allclose(counts, rates * exposure[:, None], rtol=1e-5)
    # the stored start is not a constant: the convention's z carries slopes
    assert any(np.any(np.asarray(f.start_coef[c]) != 0) for c in CLAIM_CAUSES)


def test_the_model_card_names_the_fitted_tail(trained_registry) -> None:
    bundle = trained_registry.load()
    tails = bundle.meta.severity.tails
    tail = tails[CLAIM_CAUSES[0]]
    card = (bundle.path / "model_card.md").read_text()
    shapes = ", ".join(f"{c} {tails[c].xi:.3f}" for c in CLAIM_CAUSES)
    assert (
        f"| Severity tail | generalised Pareto on the relative excess: {POOLED}: threshold at "
        f"z = {tail.z_u:.2f} ({tail.exceedances} claims above), shape xi on each cause's "
        f"sigma: {shapes} |"
    ) in card
