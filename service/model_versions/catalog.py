"""What people read about a model version: creation time, metrics, model card.

Read straight from the bundle's metadata.json (``BundleMetadata``) and
model_card.md without verifying the manifest or loading boosters (promotion
does that), so listing versions stays cheap. A file that cannot be read, or
a metadata.json this code cannot parse, is reported in ``problem`` rather
than failing the whole list.
"""

from __future__ import annotations

import json
from typing import Any

from models.versions.bundle import METADATA_FILE, MODEL_CARD_FILE
from models.versions.metadata import (
    GLM,
    HOLDOUT_CLAIMS,
    HOLDOUT_POLICIES,
    XGBOOST,
    BundleMetadata,
    MetadataError,
    Metric,
)
from models.versions.registry import Registry

#: The holdout metrics GET /v1/models shows per version (all are in the detail).
HEADLINE_METRICS = (
    Metric.POISSON_DEVIANCE.of(XGBOOST),
    Metric.POISSON_DEVIANCE.of(GLM),
    Metric.GINI.of(XGBOOST),
    Metric.GINI.of(GLM),
    Metric.AE_OVERALL.of(XGBOOST),
    Metric.LIFT_TOP_DECILE.of(XGBOOST),
    HOLDOUT_POLICIES,
    HOLDOUT_CLAIMS,
)


def _created_at(version: str, metadata: BundleMetadata | None) -> str:
    if metadata is not None:
        return metadata.created_at
    # The version name starts with its UTC creation time: 2026-11-29T01-02-03Z.
    day, _, clock = version[:20].partition("T")
    return f"{day}T{clock[:8].replace('-', ':')}Z"


def _metadata(registry: Registry, version: str) -> tuple[BundleMetadata | None, str | None]:
    path = registry.path(version) / METADATA_FILE
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return None, f"{METADATA_FILE} unreadable: {type(exc).__name__}"
    try:
        return BundleMetadata.from_dict(raw), None
    except MetadataError as exc:
        return None, f"{METADATA_FILE} {exc}"


def _metrics(
    metadata: BundleMetadata | None, names: tuple[str, ...] | None
) -> dict[str, float | None]:
    if metadata is None:
        return {}
    return {
        name: float(value) if isinstance(value, int | float) else None
        for name, value in metadata.metrics.items()
        if names is None or name in names
    }


def summary(registry: Registry, version: str, active: str | None) -> dict[str, Any]:
    """Version, creation time (UTC), whether active, headline holdout metrics."""
    metadata, problem = _metadata(registry, version)
    out: dict[str, Any] = {
        "version": version,
        "created_at": _created_at(version, metadata),
        "active": version == active,
        "metrics": _metrics(metadata, HEADLINE_METRICS),
    }
    if problem:
        out["problem"] = problem
    return out


def detail(registry: Registry, version: str, active: str | None) -> dict[str, Any]:
    """The summary with every metric, the training data summary and the model card."""
    metadata, problem = _metadata(registry, version)
    out = summary(registry, version, active)
    out["metrics"] = _metrics(metadata, None)
    out["spec_hash"] = metadata.spec_hash if metadata else None
    out["seed"] = metadata.seed if metadata else None
    out["training_data"] = metadata.data.to_dict() if metadata else {}
    try:
        out["model_card"] = (registry.path(version) / MODEL_CARD_FILE).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        out["model_card"] = None
        problem = problem or f"{MODEL_CARD_FILE} unreadable: {type(exc).__name__}"
    if problem:
        out["problem"] = problem
    return out
