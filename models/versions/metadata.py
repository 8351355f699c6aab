"""The typed contents of a bundle's ``metadata.json``, and the names of its metrics.

``BundleMetadata`` is what training writes and what the bundle, the model
registry API, the reports and the champion/challenger comparison read back:
nested frozen dataclasses, one per section of the file, instead of a dict
read by string keys.

Bytes: ``to_json()`` is ``json.dumps(to_dict(), indent=2, sort_keys=True,
allow_nan=False)`` plus a newline, the bytes training has always written
(the keys are sorted, so the order of the fields below does not matter).
``from_json(text).to_json() == text`` for every file training wrote: values
are kept as read (an int stays an int), nothing is rounded or converted. The
bundle version is a content hash of these bytes, so a change here that
changes them changes every version name.

Format version: ``"format": 4``. Format 1 held one rate and one
lognormal; format 2 made the models per cause (a frequency booster a cause,
per-cause scales, shifts and spliced tails); format 3 added the severity's
start (its booster's base margin); format 4 gave that start a large-estate
slope above a budget knot (``start_knot``). This module reads and writes
format 4 only: an older bundle is refused with a message that says to retrain
it (``python -m training train``). A file with another format number, a
missing or unknown key or a value of the wrong type is refused with
``MetadataError`` naming the key.

Metrics: ``metrics`` maps a name to a holdout figure (None where undefined,
e.g. an A/E with nothing expected; JSON has no NaN). A figure measured for
each model is stored as ``<metric>_<model>``: ``Metric.GINI.of(XGBOOST)`` is
``"gini_xgboost"``. Build and look up names with these constants, never by
spelling them.
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Union, cast, get_args, get_origin, get_type_hints

import numpy as np

from models.scoring.booster_params import BoosterParams
from models.spec.contract import CLAIM_CAUSES
from models.versions.risk_score import RiskScoreScale

FORMAT_VERSION: Final = 4

# The models that holdout metrics are measured for: the ``<model>`` of ``<metric>_<model>``.
XGBOOST: Final = "xgboost"
GLM: Final = "glm"  # the Poisson / lognormal GLM baseline
ACTIVE: Final = "active"  # the bundle that was active when this one was trained
TRUTH: Final = "truth"  # the synthetic truth, scored as a model (noise floor)
NULL: Final = "null"  # one claim rate for every policy
CHALLENGER: Final = "challenger"  # `python -m training compare`
CHAMPION: Final = "champion"

# Figures of the holdout itself and of one model's own checks (no ``_<model>``).
HOLDOUT_POLICIES: Final = "holdout_policies"
HOLDOUT_CLAIMS: Final = "holdout_claims"
HOLDOUT_EXPOSURE_YEARS: Final = "holdout_exposure_years"
SEVERITY_TAIL_Q99: Final = "severity_tail_fitted_to_observed_q99"


class Metric(StrEnum):
    """A holdout metric measured for each model (training/evaluation/holdout.py)."""

    POISSON_DEVIANCE = "poisson_deviance"  # mean per policy; lower = better
    GINI = "gini"  # of the claim-rate ordering; higher = better
    AE_OVERALL = "ae_overall"  # actual / expected claims
    AE_OVERALL_LOW95 = "ae_overall_low95"  # exact Poisson interval of the A/E
    AE_OVERALL_HIGH95 = "ae_overall_high95"
    AE_DECILE_MAX_ABS_ERROR = "ae_decile_max_abs_error"  # largest |A/E - 1| by decile
    AE_DECILE_CHI2_PVALUE = "ae_decile_chi2_pvalue"
    LIFT_TOP_DECILE = "lift_top_decile"  # top decile's share of claims x 10
    SEVERITY_NLL_PER_CLAIM = "severity_nll_per_claim"
    # with a truth file (synthetic data) only
    EXPLAINABLE_DEVIANCE_CAPTURED = "explainable_deviance_captured"
    TRUTH_AE_DECILE_MAX_ABS_ERROR = "truth_ae_decile_max_abs_error"
    TRUTH_AE_OVERALL = "truth_ae_overall"
    # predicted / true annual loss - 1 in the standard layer ($1M xs $50k per claim): over
    # the holdout's sum, and the mean over policies of its absolute value
    LAYER_PURE_PREMIUM_TOTAL_ERROR = "layer_pure_premium_total_error"
    LAYER_PURE_PREMIUM_MEAN_ABS_ERROR = "layer_pure_premium_mean_abs_error"
    # the same in the excess layer $4M xs $1M, which the severity tail prices
    EXCESS_LAYER_PURE_PREMIUM_TOTAL_ERROR = "excess_layer_pure_premium_total_error"
    EXCESS_LAYER_PURE_PREMIUM_MEAN_ABS_ERROR = "excess_layer_pure_premium_mean_abs_error"
    # mean Poisson deviance per policy above the truth's, in expectation, summed over causes
    EXPECTED_EXCESS_DEVIANCE = "expected_excess_deviance"
    # median over policies of the total-variation distance between the predicted and the
    # true shares of expected ground-up loss by cause (0: the same mix; 1: disjoint)
    CAUSE_MIX_TV_DISTANCE = "cause_mix_tv_distance"
    # per cause, named ``cause_metric(metric, cause, model)``: ``<metric>_<cause>_<model>``
    CAUSE_AE = "cause_ae"  # actual / expected claims of the cause
    CAUSE_POISSON_DEVIANCE = "cause_poisson_deviance"  # of the cause's claim counts
    CAUSE_EXPECTED_EXCESS_DEVIANCE = "cause_expected_excess_deviance"  # with a truth file

    def of(self, model: str) -> str:
        """The name of this metric for ``model`` in ``metrics``: ``<metric>_<model>``."""
        return f"{self.value}_{model}"


def double_lift_error(model: str, other: str, scored: str) -> str:
    """Mean |A/E - 1| of ``scored`` over the bands of ``model`` rate / ``other`` rate."""
    return f"double_lift_{model}_vs_{other}_error_{scored}"


def cause_metric(metric: Metric, cause: str, model: str) -> str:
    """The name of ``metric`` of claim cause ``cause`` for ``model``: ``<metric>_<cause>_<model>``."""
    return f"{metric.value}_{cause}_{model}"


def finite_or_none(values: Mapping[str, Any]) -> dict[str, Any]:
    """NaN and infinities become None (JSON has no NaN); other values are kept."""
    return {
        k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in values.items()
    }


#: Field metadata of a mapping keyed by claim cause: it must name every cause, no other.
BY_CAUSE: Final = types.MappingProxyType({"by_cause": True})


class MetadataError(ValueError):
    """A metadata.json this code cannot read: another format, a missing or odd key."""


class _Section:
    """A dataclass section of metadata.json, as plain JSON values."""

    def to_dict(self) -> dict[str, Any]:
        return cast(dict[str, Any], _encode(self))


@dataclass(frozen=True)
class TrainingData(_Section):
    """The bordereaux a bundle learned from (file names, SHA-256, sizes)."""

    policies_file: str
    claims_file: str
    policies_sha256: str
    claims_sha256: str
    policies: int
    claims: int
    exposure_years: float


@dataclass(frozen=True)
class SplitSizes(_Section):
    """The seeded split by policy: fractions and policy counts of each part."""

    fractions: tuple[float, ...]
    train: int
    valid: int
    holdout: int


@dataclass(frozen=True)
class FrequencyMetadata(_Section):
    """Each cause's frequency booster file and the signed start it must be given back."""

    boosters: Mapping[str, str] = field(metadata=BY_CAUSE)  # file by cause
    objective: str
    base_score: float
    start_intercept: Mapping[str, float] = field(
        metadata=BY_CAUSE
    )  # log claims per year at the average inputs
    start_coef: Mapping[str, tuple[float, ...]] = field(
        metadata=BY_CAUSE
    )  # by cause, one slope a feature
    start_penalty: Mapping[str, float] = field(
        metadata=BY_CAUSE
    )  # chosen by five folds of the training policies
    inputs_log_columns: tuple[int, ...]  # 1 where the feature is seen through log1p
    inputs_mean: tuple[float, ...]
    inputs_scale: tuple[float, ...]
    balance_factor: Mapping[str, float] = field(metadata=BY_CAUSE)
    best_iteration: Mapping[str, int] = field(
        metadata=BY_CAUSE
    )  # -1: a cause without training claims, no trees
    offset_convention: str


@dataclass(frozen=True)
class CauseTail(_Section):
    """One cause's spliced tail: GPD on the relative excess over exp(mu + sigma z_u)."""

    fitted_on: str  # the cause's own claims, or "all causes"
    z_u: float
    xi: float
    b: float
    exceedances: int


@dataclass(frozen=True)
class SeverityMetadata(_Section):
    """The severity booster's file; per cause the body's scale, the location shift, the tail."""

    booster: str
    distribution: str
    feature_names: tuple[str, ...]  # the model's features, then the cause one-hot
    sigma: Mapping[str, float] = field(metadata=BY_CAUSE)
    mu_shift: Mapping[str, float] = field(metadata=BY_CAUSE)
    tails: Mapping[str, CauseTail] = field(metadata=BY_CAUSE)
    best_iteration: int
    convention: str
    # the trees' base margin: start_level[c] + start_slope[c] @ (columns - start_center), the
    # columns log1p(size) of the claiming city's start_features, then max(log1p(budget) -
    # start_knot, 0) (models/scoring/severity.py)
    start_features: tuple[str, ...]
    start_center: tuple[float, ...]  # one a column
    start_level: Mapping[str, float] = field(metadata=BY_CAUSE)
    start_slope: Mapping[str, tuple[float, ...]] = field(metadata=BY_CAUSE)  # one a column
    start_penalty: float  # claims' worth of the pooled slopes, chosen on the validation claims
    start_knot: float  # log1p budget (USD) where the large-estate slope starts


@dataclass(frozen=True)
class BalanceCorrections(_Section):
    """The balance to the training data by cause (training/fitting/balance.py)."""

    observed_claims: float
    observed_loss_usd: float
    cause_claim_factors: Mapping[str, float] = field(metadata=BY_CAUSE)
    cause_observed_claims: Mapping[str, float] = field(metadata=BY_CAUSE)
    cause_cap_usd: Mapping[str, float] = field(metadata=BY_CAUSE)
    cause_mu_shift: Mapping[str, float] = field(metadata=BY_CAUSE)
    cause_observed_loss_usd: Mapping[str, float] = field(metadata=BY_CAUSE)
    cause_large_loss_ratio: Mapping[str, float] = field(
        metadata=BY_CAUSE
    )  # observed / predicted excess over the cap


@dataclass(frozen=True)
class BaselineBalance(_Section):
    """The same balance corrections of the per-cause GLM baseline."""

    cause_claim_factors: Mapping[str, float] = field(metadata=BY_CAUSE)
    cause_mu_shift: Mapping[str, float] = field(metadata=BY_CAUSE)


@dataclass(frozen=True)
class StandardLayer(_Section):
    """The layer of the per-claim layer metrics: limit xs retention (USD)."""

    limit_usd: float
    retention_usd: float


@dataclass(frozen=True)
class ReferencePortfolio(_Section):
    """The training portfolio's distribution: what a new city is ranked against."""

    expected_annual_loss_quantiles_usd: tuple[float, ...]  # 101 levels, 0-100%
    risk_score_scale: RiskScoreScale = field(metadata={"key": "loss_cost_quantiles"})
    claim_rate_quantiles_per_year: tuple[float, ...]  # 11 levels, 0-100%
    portfolio: str
    sample_file: str
    sample_rows: int
    sample_seed: int


@dataclass(frozen=True)
class BundleMetadata(_Section):
    """Everything metadata.json records about a bundle version (format 2)."""

    format: int
    spec_hash: str
    created_at: str  # UTC, 2026-01-01T00:00:00Z
    libraries: Mapping[str, str]
    seed: int
    data: TrainingData
    split: SplitSizes
    hyperparameters: BoosterParams
    feature_names: tuple[str, ...]
    monotone_constraints: tuple[int, ...]
    frequency: FrequencyMetadata
    severity: SeverityMetadata
    balance: BalanceCorrections
    baseline_balance: BaselineBalance
    metrics: Mapping[str, float | None]
    standard_layer: StandardLayer
    reference: ReferencePortfolio

    def to_json(self) -> str:
        """The bytes of metadata.json (as text)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> BundleMetadata:
        """Parse metadata.json; ``MetadataError`` when it is not a file of ``FORMAT_VERSION``."""
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise MetadataError(f"is not JSON ({exc})") from exc
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Any) -> BundleMetadata:
        """The metadata of a decoded metadata.json object."""
        if not isinstance(raw, dict):
            raise MetadataError("is not a JSON object")
        if raw.get("format") != FORMAT_VERSION:
            raise MetadataError(
                f"has format {raw.get('format')!r}; this code reads format {FORMAT_VERSION} "
                "(per-cause models, a severity start with a large-estate slope): retrain the "
                "bundle with `python -m training train`"
            )
        return cast(BundleMetadata, _decode(cls, raw, ""))


def _key(item: dataclasses.Field[Any]) -> str:
    return str(item.metadata.get("key", item.name))


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, RiskScoreScale):
            return value.to_plain()
        return {_key(f): _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(kind: Any, value: Any, where: str) -> Any:
    """``value`` read from JSON as ``kind``, unchanged (a tuple for a list)."""
    origin = get_origin(kind)
    if kind is RiskScoreScale:
        return RiskScoreScale(_decode(tuple[float, ...], value, where))
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _decode_dataclass(kind, value, where)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in get_args(kind):
            return None
        (other,) = (a for a in get_args(kind) if a is not type(None))
        return _decode(other, value, where)
    if origin is tuple:
        (item, _) = get_args(kind)
        if not isinstance(value, list):
            raise MetadataError(f"{where}: must be a list")
        return tuple(_decode(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is Mapping:
        if not isinstance(value, dict):
            raise MetadataError(f"{where}: must be an object")
        _, item = get_args(kind)
        return {k: _decode(item, v, f"{where}.{k}") for k, v in value.items()}
    accepted = {float: (int, float), int: (int,), str: (str,)}[kind]
    if isinstance(value, bool) or not isinstance(value, accepted):
        raise MetadataError(f"{where}: must be {'a number' if kind is float else kind.__name__}")
    return value


def _decode_dataclass(kind: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise MetadataError(f"{where or 'metadata'}: must be an object")
    items = {_key(f): f for f in dataclasses.fields(kind)}
    missing, unknown = sorted(set(items) - set(value)), sorted(set(value) - set(items))
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] * bool(missing)
        problems += [f"unknown {', '.join(unknown)}"] * bool(unknown)
        raise MetadataError(f"{where or 'metadata'}: {'; '.join(problems)}")
    hints = get_type_hints(kind)
    prefix = f"{where}." if where else ""
    for k, f in items.items():
        if f.metadata.get("by_cause") and isinstance(value[k], dict):
            _check_causes(value[k], f"{prefix}{k}")
    return kind(
        **{f.name: _decode(hints[f.name], value[k], f"{prefix}{k}") for k, f in items.items()}
    )


def _check_causes(value: dict[str, Any], where: str) -> None:
    """A by-cause table names every claim cause and nothing else."""
    missing = [c for c in CLAIM_CAUSES if c not in value]
    unknown = sorted(set(value) - set(CLAIM_CAUSES))
    if missing or unknown:
        problems = [f"missing {', '.join(missing)}"] * bool(missing)
        problems += [f"unknown {', '.join(unknown)}"] * bool(unknown)
        raise MetadataError(f"{where}: {'; '.join(problems)}")
