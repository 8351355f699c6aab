"""What people read about a model version: creation time, metrics, model card.

Read straight from the bundle's metadata.json and model_card.md without
verifying the manifest or loading boosters (promotion does that), so listing
versions stays cheap. A file that cannot be read is reported in ``problem``
rather than failing the whole list.
"""

from __future__ import annotations

import json
from typing import Any

from models.scoring.bundle import METADATA_FILE, MODEL_CARD_FILE
from models.scoring.registry import Registry

#: The holdout metrics GET /v1/models shows per version (all are in the detail).
HEADLINE_METRICS = (
    "poisson_deviance_xgboost",
    "poisson_deviance_glm",
    "gini_xgboost",
    "gini_glm",
    "ae_overall_xgboost",
    "lift_top_decile_xgboost",
    "holdout_policies",
    "holdout_claims",
)


def _created_at(version: str, metadata: dict[str, Any]) -> str:
    stamp = metadata.get("created_at")
    if isinstance(stamp, str):
        return stamp
    # The version name starts with its UTC creation time: 2026-11-29T01-02-03Z.
    day, _, clock = version[:20].partition("T")
    return f"{day}T{clock[:8].replace('-', ':')}Z"


def _metadata(registry: Registry, version: str) -> tuple[dict[str, Any], str | None]:
    path = registry.path(version) / METADATA_FILE
    try:
        metadata = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return {}, f"{METADATA_FILE} unreadable: {type(exc).__name__}"
    if not isinstance(metadata, dict):
        return {}, f"{METADATA_FILE} is not a JSON object"
    return metadata, None


def _metrics(metadata: dict[str, Any], names: tuple[str, ...] | None) -> dict[str, float | None]:
    metrics = metadata.get("metrics")
    if not isinstance(metrics, dict):
        return {}
    return {
        name: float(value) if isinstance(value, int | float) else None
        for name, value in metrics.items()
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
    out["spec_hash"] = metadata.get("spec_hash")
    out["seed"] = metadata.get("seed")
    data = metadata.get("data")
    out["training_data"] = data if isinstance(data, dict) else {}
    try:
        out["model_card"] = (registry.path(version) / MODEL_CARD_FILE).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        out["model_card"] = None
        problem = problem or f"{MODEL_CARD_FILE} unreadable: {type(exc).__name__}"
    if problem:
        out["problem"] = problem
    return out
