"""The describe stage: the texts it stores are those of the shipped bundle, word for word.

The bundle version hashes metadata.json, so ``make model`` reproduces the
shipped version only if every stored text is unchanged (the package layout
once changed a path inside the severity convention, and with it the version).
"""

from __future__ import annotations

from models.versions.bundle import METADATA_FILE
from models.versions.metadata import BundleMetadata
from models.versions.registry import DEFAULT_MODELS_DIR
from training.bundle_description import (
    FREQUENCY_CONVENTION,
    REFERENCE_SAMPLE_ROWS,
    SEVERITY_CONVENTION,
)

SHIPPED = DEFAULT_MODELS_DIR / "2026-01-01T00-00-00Z-0a575b61"


def test_the_stored_texts_are_the_shipped_bundles() -> None:
    shipped = BundleMetadata.from_json((SHIPPED / METADATA_FILE).read_text())
    assert shipped.frequency.offset_convention == FREQUENCY_CONVENTION
    assert shipped.severity.convention == SEVERITY_CONVENTION
    assert shipped.reference.sample_rows == REFERENCE_SAMPLE_ROWS


def test_a_trained_bundle_describes_itself_as_the_pipeline_wrote_it(trained_registry) -> None:
    meta = trained_registry.load().meta
    assert meta.severity.convention == SEVERITY_CONVENTION
    assert meta.frequency.booster == "frequency.ubj" and meta.severity.booster == "severity.ubj"
    assert meta.split.train + meta.split.valid + meta.split.holdout == meta.data.policies
    assert meta.reference.sample_rows == min(REFERENCE_SAMPLE_ROWS, meta.data.policies)
