"""BundleMetadata: byte-identical round trips, refusals that name the key, metric names, risk scale.

Oracles: the shipped bundle's metadata.json (its bytes are hashed into its
version name, so a round trip must give them back exactly) and the files
training writes; the risk score's definition (percentile of the loss cost).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any, get_type_hints

import numpy as np
import pytest

from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS
from models.scoring.frequency import START_PENALTIES
from models.scoring.glm_inputs import heavy_tailed_columns
from models.scoring.severity import SEVERITY_FEATURE_NAMES
from models.spec.contract import CLAIM_CAUSES
from models.versions.bundle import (
    FREQUENCY_FILES,
    MANIFEST_FILE,
    METADATA_FILE,
    BundleError,
    ModelBundle,
    frequency_file,
)
from models.versions.metadata import (
    ACTIVE,
    BY_CAUSE,
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
    cause_metric,
    double_lift_error,
    finite_or_none,
)
from models.versions.registry import DEFAULT_MODELS_DIR

#: The shipped bundle is whatever models/bundles/ACTIVE names (the integrator rebuilds it).
SHIPPED = DEFAULT_MODELS_DIR / (DEFAULT_MODELS_DIR / "ACTIVE").read_text().strip()


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
    assert metadata.format == FORMAT_VERSION == 4
    split = metadata.split
    assert split.fractions == (0.7, 0.15, 0.15)
    assert metadata.data.policies == split.train + split.valid + split.holdout
    assert metadata.feature_names == FEATURE_NAMES
    assert metadata.monotone_constraints == MONOTONE_CONSTRAINTS
    scale = metadata.reference.risk_score_scale
    assert len(scale.loss_cost_quantiles) == RiskScoreScale.LEVELS == 1001
    # an int stays an int, a float a float: the bytes depend on it
    assert type(metadata.metrics[HOLDOUT_POLICIES]) is int
    assert type(metadata.metrics[HOLDOUT_CLAIMS]) is float
    # the frequency: a booster file and a signed log-linear start per cause
    freq = metadata.frequency
    assert freq.boosters == {c: frequency_file(c) for c in CLAIM_CAUSES}
    assert freq.objective == "count:poisson" and freq.base_score == 1.0
    assert set(freq.start_penalty.values()) <= set(START_PENALTIES)
    assert freq.inputs_log_columns == tuple(int(v) for v in heavy_tailed_columns())
    assert len(freq.inputs_mean) == len(freq.inputs_scale) == len(FEATURE_NAMES)
    assert all(s > 0 for s in freq.inputs_scale)
    directions = np.array(MONOTONE_CONSTRAINTS)
    for cause in CLAIM_CAUSES:
        coef = np.array(freq.start_coef[cause])
        assert coef.shape == (len(FEATURE_NAMES),)
        assert np.all(directions * coef >= 0), cause  # every slope has its field's sign
        assert freq.best_iteration[cause] >= -1
        assert freq.balance_factor[cause] > 0
    # what the balance reports is what the models apply
    assert freq.balance_factor == metadata.balance.cause_claim_factors
    severity = metadata.severity
    assert severity.feature_names == SEVERITY_FEATURE_NAMES
    assert all(0 < s < 5 for s in severity.sigma.values())
    assert all(t.b > 0 and t.xi < 1 for t in severity.tails.values())
    assert severity.mu_shift == metadata.balance.cause_mu_shift


def _sections(kind: type, where: str = "") -> list[tuple[str, dataclasses.Field[Any]]]:
    """Every field of ``kind`` and of its nested sections, by dotted path."""
    out = []
    for item in dataclasses.fields(kind):
        hint = get_type_hints(kind)[item.name]
        path = where + str(item.metadata.get("key", item.name))  # the key in the file
        out.append((path, item))
        if dataclasses.is_dataclass(hint) and hint is not RiskScoreScale:
            out += _sections(hint, path + ".")
    return out


def test_every_table_keyed_by_cause_is_marked_by_cause(raw: dict[str, Any]) -> None:
    """The mark (``BY_CAUSE``) is what makes a table without a cause a refusal: none forgotten."""
    marked, keyed = set(), set()
    for path, item in _sections(BundleMetadata):
        if item.metadata.get("by_cause"):
            marked.add(path)
        node: Any = raw
        for key in path.split("."):
            node = node[key]
        if isinstance(node, dict) and set(node) == set(CLAIM_CAUSES):
            keyed.add(path)
    assert marked == keyed
    assert {"frequency.start_coef", "severity.tails", "balance.cause_claim_factors"} <= marked
    assert dict(BY_CAUSE) == {"by_cause": True}


def test_a_trained_bundle_round_trips_and_loads_typed(trained_registry: Any) -> None:
    bundle = trained_registry.load()
    text = (bundle.path / METADATA_FILE).read_text()
    assert BundleMetadata.from_json(text).to_json() == text
    assert bundle.meta == BundleMetadata.from_json(text)
    assert bundle.metadata == json.loads(text)  # the plain form, for readers by key


def test_every_shipped_metric_name_is_built_from_the_constants(raw: dict[str, Any]) -> None:
    models = (XGBOOST, GLM, ACTIVE, TRUTH, NULL)
    names = {HOLDOUT_POLICIES, HOLDOUT_CLAIMS, HOLDOUT_EXPOSURE_YEARS, SEVERITY_TAIL_Q99}
    names |= {m.of(model) for m in Metric for model in models}
    names |= {double_lift_error(XGBOOST, GLM, model) for model in (XGBOOST, GLM)}
    names |= {cause_metric(m, c, model) for m in Metric for c in CLAIM_CAUSES for model in models}
    assert set(raw["metrics"]) <= names
    # the per-cause figures are there, for every cause
    for cause in CLAIM_CAUSES:
        assert cause_metric(Metric.CAUSE_AE, cause, XGBOOST) in raw["metrics"]
    assert Metric.AE_DECILE_CHI2_PVALUE.of(GLM) == "ae_decile_chi2_pvalue_glm"
    assert cause_metric(Metric.CAUSE_AE, "ransomware", GLM) == "cause_ae_ransomware_glm"
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


RETRAIN = "retrain the bundle with `python -m training train`"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "format",
            1,
            "has format 1; this code reads format 4 (per-cause models, a severity start with a "
            f"large-estate slope): {RETRAIN}",
        ),
        ("format", 2, "has format 2; this code reads format 4"),
        ("format", 3, "has format 3; this code reads format 4"),
        ("format", KeyError, "has format None"),
        ("seed", KeyError, "metadata: missing seed"),
        ("frequency", KeyError, "metadata: missing frequency"),
        ("cause_mix", {}, "metadata: unknown cause_mix"),  # a format-2 file of the cause mix
        ("surprise", 1, "metadata: unknown surprise"),
        ("frequency.sigma", 1.0, "frequency: unknown sigma"),
        ("frequency.log_rate_offset", -3.0, "frequency: unknown log_rate_offset"),
        ("frequency.start_coef", KeyError, "frequency: missing start_coef"),
        ("severity.sigma", 1.5, "severity.sigma: must be an object"),
        ("severity.sigma.ransomware", "1.5", "severity.sigma.ransomware: must be a number"),
        ("severity.tails.other.z_u", KeyError, "severity.tails.other: missing z_u"),
        ("severity.tails.other.exceedances", 9.5, "severity.tails.other.exceedances: must be int"),
        ("severity.best_iteration", 3.0, "severity.best_iteration: must be int"),
        (
            "frequency.start_coef.data_breach",
            0.1,
            "frequency.start_coef.data_breach: must be a list",
        ),
        (
            "frequency.start_coef.other",
            [0.1, "x"],
            "frequency.start_coef.other[1]: must be a number",
        ),
        ("frequency.inputs_log_columns", [True], "frequency.inputs_log_columns[0]: must be int"),
        ("frequency.start_penalty.other", None, "frequency.start_penalty.other: must be a number"),
        (
            "frequency.best_iteration.ransomware",
            2.5,
            "frequency.best_iteration.ransomware: must be int",
        ),
        ("frequency.boosters.other", 7, "frequency.boosters.other: must be str"),
        ("balance.cause_claim_factors", [1.0], "balance.cause_claim_factors: must be an object"),
        ("balance.observed_claims", KeyError, "balance: missing observed_claims"),
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


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("severity.sigma.other", KeyError, "severity.sigma: missing other"),
        ("severity.tails.ransomware", KeyError, "severity.tails: missing ransomware"),
        ("frequency.boosters.vendor_outage", KeyError, "frequency.boosters: missing vendor_outage"),
        ("frequency.start_coef.data_breach", KeyError, "frequency.start_coef: missing data_breach"),
        ("frequency.start_intercept.surprise", -5.0, "frequency.start_intercept: unknown surprise"),
        ("frequency.best_iteration.Other", 3, "frequency.best_iteration: unknown Other"),
        (
            "balance.cause_claim_factors.other",
            KeyError,
            "balance.cause_claim_factors: missing other",
        ),
        (
            "baseline_balance.cause_mu_shift.other",
            KeyError,
            "baseline_balance.cause_mu_shift: missing other",
        ),
    ],
)
def test_a_by_cause_table_without_a_cause_or_with_another_is_refused_naming_it(
    raw: dict[str, Any], path: str, value: Any, message: str
) -> None:
    with pytest.raises(MetadataError, match=f"^{re.escape(message)}$"):
        BundleMetadata.from_dict(_edit(raw, path, value))


def test_a_by_cause_table_reports_every_missing_and_unknown_cause(raw: dict[str, Any]) -> None:
    edited = _edit(
        _edit(raw, "frequency.start_penalty.other"), "frequency.start_penalty.ransomware"
    )
    edited["frequency"]["start_penalty"]["zeta"] = 1e-2
    edited["frequency"]["start_penalty"]["alpha"] = 1e-2
    message = "frequency.start_penalty: missing ransomware, other; unknown alpha, zeta"
    with pytest.raises(MetadataError, match=f"^{re.escape(message)}$"):
        BundleMetadata.from_dict(edited)


def _rewrite_metadata(directory: Path, meta: dict[str, Any]) -> None:
    """metadata.json replaced by ``meta`` and the manifest rehashed (a consistent bundle)."""
    (directory / METADATA_FILE).write_text(json.dumps(meta))
    digest = hashlib.sha256((directory / METADATA_FILE).read_bytes()).hexdigest()
    manifest = [
        f"{digest}  {METADATA_FILE}" if line.endswith(f"  {METADATA_FILE}") else line
        for line in (directory / MANIFEST_FILE).read_text().splitlines()
    ]
    (directory / MANIFEST_FILE).write_text("\n".join(manifest) + "\n")


def test_a_bundle_whose_table_lacks_a_cause_is_refused_on_load(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    """The colleague's bug: this used to pass the metadata and fail with KeyError in _by_cause."""
    target = tmp_path / SHIPPED.name
    shutil.copytree(SHIPPED, target)
    _rewrite_metadata(target, _edit(raw, "frequency.balance_factor.other"))
    with pytest.raises(
        BundleError, match=r"metadata\.json frequency\.balance_factor: missing other$"
    ):
        ModelBundle.load(target)


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


def test_a_format_1_bundle_does_not_load_and_says_to_retrain(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    target = tmp_path / SHIPPED.name
    shutil.copytree(SHIPPED, target)
    _rewrite_metadata(target, {**raw, "format": 1})
    with pytest.raises(BundleError, match=r"metadata\.json has format 1") as refused:
        ModelBundle.load(target)
    assert RETRAIN in str(refused.value) and SHIPPED.name in str(refused.value)


def test_a_format_1_file_layout_is_refused_for_its_format_not_its_files(
    tmp_path: Path, raw: dict[str, Any]
) -> None:
    """A real format-1 bundle has frequency.ubj, not the per-cause files: the format is named."""
    target = tmp_path / SHIPPED.name
    shutil.copytree(SHIPPED, target)
    for name in FREQUENCY_FILES:
        (target / name).unlink()
    (target / "frequency.ubj").write_bytes(b"format-1 booster")
    _rewrite_metadata(target, {**raw, "format": 1})  # the manifest lists files no longer there
    with pytest.raises(BundleError, match=r"metadata\.json has format 1") as refused:
        ModelBundle.load(target)
    assert RETRAIN in str(refused.value) and "MANIFEST" not in str(refused.value)


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
