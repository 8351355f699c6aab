"""The describe stage: the texts it stores are those of the shipped bundle, word for word.

The bundle version hashes metadata.json, so ``make model`` reproduces the
shipped version only if every stored text is unchanged (the package layout
once changed a path inside the severity convention, and with it the version).
The shipped bundle is the format-2 (per-cause) one.
"""

from __future__ import annotations

import numpy as np

from models.scoring.features import FEATURE_NAMES
from models.scoring.severity import CAUSE_COLUMNS
from models.spec.contract import CLAIM_CAUSES
from models.versions.bundle import CAUSE_MIX_FILE, FREQUENCY_FILE, METADATA_FILE, SEVERITY_FILE
from models.versions.metadata import FORMAT_VERSION, BundleMetadata
from models.versions.registry import DEFAULT_MODELS_DIR
from training.bundle_description import (
    CAUSE_MIX_CONVENTION,
    FREQUENCY_CONVENTION,
    REFERENCE_SAMPLE_ROWS,
    SEVERITY_CONVENTION,
)
from training.fitting.cause_tails import POOLED

SHIPPED = DEFAULT_MODELS_DIR / "2026-01-01T00-00-00Z-03d76d32"


def test_the_stored_texts_are_the_shipped_bundles() -> None:
    shipped = BundleMetadata.from_json((SHIPPED / METADATA_FILE).read_text())
    assert shipped.format == FORMAT_VERSION == 2
    assert shipped.frequency.offset_convention == FREQUENCY_CONVENTION
    assert shipped.cause_mix.convention == CAUSE_MIX_CONVENTION
    assert shipped.severity.convention == SEVERITY_CONVENTION
    assert shipped.reference.sample_rows == REFERENCE_SAMPLE_ROWS


def test_a_trained_bundle_describes_itself_as_the_pipeline_wrote_it(trained_registry) -> None:
    bundle = trained_registry.load()
    meta = bundle.meta
    assert meta.format == FORMAT_VERSION
    assert meta.frequency.offset_convention == FREQUENCY_CONVENTION
    assert meta.cause_mix.convention == CAUSE_MIX_CONVENTION
    assert meta.severity.convention == SEVERITY_CONVENTION
    assert (meta.frequency.booster, meta.cause_mix.booster, meta.severity.booster) == (
        FREQUENCY_FILE,
        CAUSE_MIX_FILE,
        SEVERITY_FILE,
    )
    assert meta.split.train + meta.split.valid + meta.split.holdout == meta.data.policies
    assert meta.reference.sample_rows == min(REFERENCE_SAMPLE_ROWS, meta.data.policies)
    assert meta.severity.feature_names == FEATURE_NAMES + CAUSE_COLUMNS


def test_the_per_cause_metadata_is_the_loaded_models(trained_registry) -> None:
    # what the bundle reads back to price (models/versions/bundle.py) is what describe wrote
    bundle = trained_registry.load()
    meta, sev, mix = bundle.meta, bundle.model.severity, bundle.model.cause_mix
    for by_cause in (meta.severity.sigma, meta.severity.mu_shift, meta.severity.tails):
        assert sorted(by_cause) == sorted(CLAIM_CAUSES)  # JSON keys come back sorted
    for k, c in enumerate(CLAIM_CAUSES):
        tail = meta.severity.tails[c]
        assert (tail.z_u, tail.xi, tail.b) == (sev.tails.z_u[k], sev.tails.xi[k], sev.tails.b[k])
        assert meta.severity.sigma[c] == sev.sigma[k]
        assert meta.severity.mu_shift[c] == sev.mu_shift[k] == meta.balance.cause_mu_shift[c]
        assert meta.cause_mix.cause_factors[c] == mix.cause_factors[k]
        assert meta.cause_mix.cause_factors[c] == meta.balance.cause_claim_factors[c]
        # the test portfolio (about 2,100 training policies) is too small for an own tail
        assert tail.fitted_on == POOLED
    # one pooled fit: one exceedance count, one threshold and shape for every cause
    assert len({t.exceedances for t in meta.severity.tails.values()}) == 1
    assert np.unique(sev.tails.z_u).size == 1 and np.unique(sev.tails.xi).size == 1
    assert set(meta.baseline_balance.cause_mu_shift) == set(CLAIM_CAUSES)


def test_the_model_card_names_the_fitted_tail(trained_registry) -> None:
    bundle = trained_registry.load()
    tail = bundle.meta.severity.tails[CLAIM_CAUSES[0]]
    card = (bundle.path / "model_card.md").read_text()
    assert (
        f"| Severity tail | generalised Pareto on the relative excess: {POOLED}: threshold at "
        f"z = {tail.z_u:.2f} ({tail.exceedances} claims above), shape xi = {tail.xi:.3f} |"
    ) in card
