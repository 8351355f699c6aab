"""BundleMetadata: byte-identical round trips, refusals that name the key, metric names, risk scale.

Oracles: the shipped bundle's metadata.json (its bytes are hashed into its
version name, so a round trip must give them back exactly) and the files
training writes; the risk score's definition (percentile of the loss cost).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.versions.bundle import MANIFEST_FILE, METADATA_FILE, BundleError, ModelBundle
from models.versions.metadata import (
    ACTIVE,
    FORMAT_VERSION,
    GLM,
    HOLDOUT_CLAIMS,
    HOLDOUT_EXPOSURE_YEARS,
    HOLDOUT_POLICIES,
    NULL,
    SEVERITY_TAIL_Q99,
    TRUTH,
    XGBOOST,
    BundleMetadata,
    MetadataError,
    Metric,
    RiskScoreScale,
    double_lift_error,
    finite_or_none,
)
from models.versions.registry import DEFAULT_MODELS_DIR

SHIPPED = DEFAULT_MODELS_DIR / "2026-01-01T00-00-00Z-0a575b61"


@pytest.fixture(scope="module")
def shipped_text() -> str:
    return (SHIPPED / METADATA_FILE).read_text()


@pytest.fixture()
def raw(shipped_text: str) -> dict[str, Any]:
    return json.loads(shipped_text)


def test_the_shipped_metadata_round_trips_to_identical_bytes(shipped_text: str) -> None:
    metadata = BundleMetadata.from_json(shipped_text)
    assert metadata.to_json() == shipped_text
    assert BundleMetadata.from_dict(metadata.to_dict()) == metadata
    # the manifest's SHA-256 of metadata.json, i.e. the bytes the version hash covers
    digest = hashlib.sha256(metadata.to_json().encode()).hexdigest()
    assert f"{digest}  {METADATA_FILE}" in (SHIPPED / MANIFEST_FILE).read_text()


def test_the_shipped_metadata_reads_as_typed_sections(shipped_text: str) -> None:
    metadata = BundleMetadata.from_json(shipped_text)
    assert metadata.format == FORMAT_VERSION == 1
    assert metadata.data.policies == 100_000 and metadata.split.fractions == (0.7, 0.15, 0.15)
    assert metadata.hyperparameters.max_depth == 3
    assert metadata.frequency.booster == "frequency.ubj"
    assert metadata.frequency.log_rate_offset == pytest.approx(
        metadata.frequency.intercept_log_rate + np.log(metadata.frequency.balance_factor)
    )
    scale = metadata.reference.risk_score_scale
    assert len(scale.loss_cost_quantiles) == RiskScoreScale.LEVELS == 1001
    # an int stays an int, a float a float: the bytes depend on it
    assert type(metadata.metrics[HOLDOUT_POLICIES]) is int
    assert type(metadata.metrics[HOLDOUT_CLAIMS]) is float


def test_a_trained_bundle_round_trips_and_loads_typed(trained_registry: Any) -> None:
    bundle = trained_registry.load()
    text = (bundle.path / METADATA_FILE).read_text()
    assert BundleMetadata.from_json(text).to_json() == text
    assert bundle.meta == BundleMetadata.from_json(text)
    assert bundle.metadata == json.loads(text)  # the plain form, for readers by key


def test_every_shipped_metric_name_is_built_from_the_constants(raw: dict[str, Any]) -> None:
    names = {HOLDOUT_POLICIES, HOLDOUT_CLAIMS, HOLDOUT_EXPOSURE_YEARS, SEVERITY_TAIL_Q99}
    names |= {m.of(model) for m in Metric for model in (XGBOOST, GLM, ACTIVE, TRUTH, NULL)}
    names |= {double_lift_error(XGBOOST, GLM, model) for model in (XGBOOST, GLM)}
    assert set(raw["metrics"]) <= names
    assert Metric.AE_DECILE_CHI2_PVALUE.of(GLM) == "ae_decile_chi2_pvalue_glm"
    assert (
        double_lift_error(XGBOOST, ACTIVE, ACTIVE) == "double_lift_xgboost_vs_active_error_active"
    )


def _edit(raw: dict[str, Any], path: str, value: Any = KeyError) -> dict[str, Any]:
    """A copy of ``raw`` with the dotted ``path`` set to ``value`` (KeyError: removed)."""
    edited = copy.deepcopy(raw)
    *parents, last = path.split(".")
    node = edited
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return edited


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("format", 2, "has format 2; this code reads format 1"),
        ("format", KeyError, "has format None"),
        ("seed", KeyError, "metadata: missing seed"),
        ("surprise", 1, "metadata: unknown surprise"),
        ("frequency.sigma", 1.0, "frequency: unknown sigma"),
        ("severity.sigma", "1.5", "severity.sigma: must be a number"),
        ("severity.best_iteration", 3.0, "severity.best_iteration: must be int"),
        ("data.policies", True, "data.policies: must be int"),
        ("reference.loss_cost_quantiles", 0.5, "reference.loss_cost_quantiles: must be a list"),
        ("metrics.gini_glm", "high", "metrics.gini_glm: must be a number"),
    ],
)
def test_a_file_of_another_layout_is_refused_naming_the_key(
    raw: dict[str, Any], path: str, value: Any, message: str
) -> None:
    with pytest.raises(MetadataError, match=re.escape(message)):
        BundleMetadata.from_dict(_edit(raw, path, value))


def test_not_json_or_not_an_object_is_refused() -> None:
    with pytest.raises(MetadataError, match="is not JSON"):
        BundleMetadata.from_json("{")
    with pytest.raises(MetadataError, match="is not a JSON object"):
        BundleMetadata.from_json("[]")


def test_null_metrics_are_kept_and_nan_becomes_null(raw: dict[str, Any]) -> None:
    edited = _edit(raw, "metrics.ae_overall_glm", None)
    metadata = BundleMetadata.from_dict(edited)
    assert metadata.metrics["ae_overall_glm"] is None
    assert json.loads(metadata.to_json()) == edited
    assert finite_or_none({"a": float("nan"), "b": 1.0, "c": 3}) == {"a": None, "b": 1.0, "c": 3}


def test_a_bundle_of_another_format_does_not_load(tmp_path: Path) -> None:
    target = tmp_path / SHIPPED.name
    shutil.copytree(SHIPPED, target)
    meta = json.loads((target / METADATA_FILE).read_text())
    meta["format"] = 2
    (target / METADATA_FILE).write_text(json.dumps(meta))
    digest = hashlib.sha256((target / METADATA_FILE).read_bytes()).hexdigest()
    manifest = [
        f"{digest}  {METADATA_FILE}" if line.endswith(f"  {METADATA_FILE}") else line
        for line in (target / MANIFEST_FILE).read_text().splitlines()
    ]
    (target / MANIFEST_FILE).write_text("\n".join(manifest) + "\n")
    with pytest.raises(BundleError, match=r"metadata\.json has format 2"):
        ModelBundle.load(target)


def test_the_risk_score_is_the_percentile_of_the_loss_cost() -> None:
    rng = np.random.default_rng(3)
    revenue = rng.uniform(1e7, 1e10, 5000)
    cost = rng.lognormal(-9.0, 1.0, 5000)
    scale = RiskScoreScale.fit(cost * revenue, revenue)
    np.testing.assert_allclose(
        scale.loss_cost_quantiles, np.quantile(cost, np.linspace(0, 1, 1001)), rtol=1e-12
    )
    # each city's score is the share (in %) of the portfolio with a lower loss cost
    share_below = np.array([np.mean(cost < c) for c in cost[:200]]) * 100
    np.testing.assert_allclose(
        scale.score(cost[:200] * revenue[:200], revenue[:200]), share_below, atol=0.11
    )
    # twice the loss on twice the budget: the same score; outside the portfolio: 0 and 100
    budget = np.array([1e8, 1e9])
    loss = np.array([cost.min() / 10, cost.max() * 10]) * budget
    assert scale.score(loss, budget).tolist() == [0.0, 100.0]
    np.testing.assert_array_equal(scale.score(loss * 2, budget * 2), scale.score(loss, budget))
