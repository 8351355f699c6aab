"""Split the bordereaux, fit frequency and severity, balance them to the data.

Split: policies (not claims) are shuffled with the seed and cut 70/15/15 into
training, validation (early stopping, severity sigma) and holdout (evaluation
only). All claims of a policy follow it.

Balance: see training/fitting/balance.py (frequency factor; severity location and
scale matched to the observed body and total of the training losses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.scoring.booster_params import BoosterParams
from models.scoring.features import build_features
from models.scoring.frequency import FrequencyModel, fit_frequency
from models.scoring.severity import InsufficientClaimsError, SeverityModel, fit_severity
from models.versions.metadata import BalanceCorrections
from training.errors import TrainingInputError
from training.fitting.balance import balance_severity, frequency_factor

SPLIT_FRACTIONS = (0.70, 0.15, 0.15)


@dataclass(frozen=True)
class PolicySplit:
    """Row positions of the training, validation and holdout policies."""

    train: np.ndarray
    valid: np.ndarray
    holdout: np.ndarray


@dataclass(frozen=True)
class ModelData:
    """Policies and claims as arrays: one feature row per policy."""

    features: np.ndarray
    exposure_years: np.ndarray
    claim_counts: np.ndarray
    claim_owner: np.ndarray
    loss_usd: np.ndarray

    def claims_of(self, rows: np.ndarray) -> np.ndarray:
        """Positions of the claims made by the policies in ``rows``."""
        mask = np.zeros(len(self.exposure_years), dtype=bool)
        mask[rows] = True
        return np.flatnonzero(mask[self.claim_owner])


@dataclass(frozen=True)
class FittedModels:
    frequency: FrequencyModel
    severity: SeverityModel
    balance: BalanceCorrections


def split_policies(n_policies: int, seed: int) -> PolicySplit:
    """Seeded 70/15/15 split of policy rows (sorted positions in each part)."""
    order = np.random.default_rng(seed).permutation(n_policies)
    n_train = round(SPLIT_FRACTIONS[0] * n_policies)
    n_valid = round(SPLIT_FRACTIONS[1] * n_policies)
    parts = np.split(order, [n_train, n_train + n_valid])
    return PolicySplit(*(np.sort(p) for p in parts))


def model_data(policies: pd.DataFrame, claims: pd.DataFrame) -> ModelData:
    """Feature matrix, exposures and claim counts of validated bordereaux."""
    owner = pd.Index(policies["policy_id"]).get_indexer(claims["policy_id"])
    if np.any(owner < 0):
        raise TrainingInputError("claims file names a policy_id that is not in the policies file")
    return ModelData(
        features=build_features(policies),
        exposure_years=policies["exposure_years"].to_numpy(dtype=np.float64),
        claim_counts=np.bincount(owner, minlength=len(policies)).astype(np.float64),
        claim_owner=owner,
        loss_usd=claims["loss_usd"].to_numpy(dtype=np.float64),
    )


def _part(data: ModelData, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return data.features[rows], data.claim_counts[rows], data.exposure_years[rows]


def _claims_part(data: ModelData, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    claim_rows = data.claims_of(rows)
    return data.features[data.claim_owner[claim_rows]], data.loss_usd[claim_rows]


def fit_models(
    data: ModelData, split: PolicySplit, params: BoosterParams, seed: int
) -> FittedModels:
    """Fit both models on the training split and balance them to its totals."""
    if data.claim_counts[split.train].sum() == 0:
        raise TrainingInputError("cannot fit claim frequency: the training split has no claims")
    frequency = fit_frequency(_part(data, split.train), _part(data, split.valid), params, seed)
    try:
        severity = fit_severity(
            _claims_part(data, split.train), _claims_part(data, split.valid), params, seed
        )
    except InsufficientClaimsError as exc:
        raise TrainingInputError(str(exc)) from exc
    x, counts, exposure = _part(data, split.train)
    observed_claims = float(counts.sum())
    expected = frequency.expected_claim_count(x, exposure)
    freq_factor = frequency_factor(observed_claims, expected)
    frequency = frequency.with_balance(freq_factor)
    losses = data.loss_usd[data.claims_of(split.train)]
    # the balanced counts are the unbalanced ones times the factor: no second prediction
    severity, report = balance_severity(severity, expected * freq_factor, severity.mu(x), losses)
    balance = BalanceCorrections(
        frequency_factor=freq_factor,
        observed_claims=observed_claims,
        observed_loss_usd=float(losses.sum()),
        **report,  # type: ignore[arg-type]
    )
    return FittedModels(frequency, severity, balance)
