"""Split the bordereaux, fit frequency and severity, balance them to the data.

Split: policies (not claims) are shuffled with the seed and cut 70/15/15 into
training, validation (early stopping of the frequency, the starts' penalties)
and holdout (evaluation only). All claims of a policy follow it.

Fit: the claim rate of each cause (a signed start boosted by XGBoost), the
severity (a sized start per cause boosted by XGBoost with the cause as a
feature, models/scoring/severity.py); then per cause the tail
(training/fitting/cause_tails.py) and the balance (training/fitting/balance.py:
claims and capped losses).
Tail and capped balance depend on each other through the location, so they
are fitted twice in turn (``TAIL_BALANCE_ROUNDS``): the second round moves
the shifts by well under 0.01 on the synthetic portfolios.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from models.scoring.booster_params import BoosterParams
from models.scoring.features import build_features
from models.scoring.frequency import FrequencyModel, Policies, fit_frequency
from models.scoring.loss_model import LossModel
from models.scoring.severity import InsufficientClaimsError, SeverityModel, fit_severity
from models.spec.contract import CLAIM_CAUSES
from models.versions.metadata import BalanceCorrections
from training.bordereau.reader import Bordereaux, load_bordereaux
from training.errors import TrainingInputError
from training.fitting.balance import capped_balance, cause_factors
from training.fitting.cause_tails import FittedTail, fit_cause_tails

Claims = tuple[np.ndarray, np.ndarray, np.ndarray]  # features, loss_usd, cause index

SPLIT_FRACTIONS = (0.70, 0.15, 0.15)
TAIL_BALANCE_ROUNDS = 2


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
    claim_cause: np.ndarray  # index into CLAIM_CAUSES

    def claims_of(self, rows: np.ndarray) -> np.ndarray:
        """Positions of the claims made by the policies in ``rows``."""
        mask = np.zeros(len(self.exposure_years), dtype=bool)
        mask[rows] = True
        return np.flatnonzero(mask[self.claim_owner])


@dataclass(frozen=True)
class FittedModels:
    model: LossModel
    balance: BalanceCorrections
    tails: list[FittedTail]  # the GPD fits behind the severity's tails, pooled first

    @property
    def frequency(self):
        return self.model.frequency

    @property
    def severity(self) -> SeverityModel:
        return self.model.severity


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
        claim_cause=pd.Categorical(claims["cause"], categories=CLAIM_CAUSES).codes.astype(np.int64),
    )


def cause_counts(data: ModelData) -> np.ndarray:
    """Claims of each policy by cause, (policies, K)."""
    counts = np.zeros((len(data.exposure_years), len(CLAIM_CAUSES)))
    np.add.at(counts, (data.claim_owner, data.claim_cause), 1.0)
    return counts


def _part(
    data: ModelData, rows: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return data.features[rows], counts[rows], data.exposure_years[rows]


def claims_part(data: ModelData, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    claim_rows = data.claims_of(rows)
    return (
        data.features[data.claim_owner[claim_rows]],
        data.loss_usd[claim_rows],
        data.claim_cause[claim_rows],
    )


def policy_part(
    data: ModelData, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(features, exposure_years, claim owner position in ``rows``, claim cause) of some policies."""
    claim_rows = data.claims_of(rows)
    owner = np.searchsorted(rows, data.claim_owner[claim_rows])
    return data.features[rows], data.exposure_years[rows], owner, data.claim_cause[claim_rows]


class BoosterFits(Protocol):
    """Where training's row-wise work runs: this process, or a cluster (training/distributed/).

    That is checking the bordereaux (``bordereaux``) and fitting the boosters.
    """

    def bordereaux(self, policies_path: str | Path, claims_path: str | Path) -> Bordereaux: ...

    def frequency(
        self, train: Policies, valid: Policies, params: BoosterParams, seed: int
    ) -> FrequencyModel: ...

    def severity(
        self, train: Claims, valid: Claims, params: BoosterParams, seed: int
    ) -> SeverityModel: ...


class LocalBoosterFits:
    """The bordereaux checked and the boosters fitted in this process (models/scoring's fits)."""

    def bordereaux(self, policies_path: str | Path, claims_path: str | Path) -> Bordereaux:
        return load_bordereaux(policies_path, claims_path)

    def frequency(
        self, train: Policies, valid: Policies, params: BoosterParams, seed: int
    ) -> FrequencyModel:
        return fit_frequency(train, valid, params, seed)

    def severity(
        self, train: Claims, valid: Claims, params: BoosterParams, seed: int
    ) -> SeverityModel:
        return fit_severity(train, valid, params, seed)


def fit_models(
    data: ModelData,
    split: PolicySplit,
    params: BoosterParams,
    seed: int,
    boosters: BoosterFits | None = None,
) -> FittedModels:
    """Fit the loss model on the training split and balance it to its totals, cause by cause.

    ``boosters``: where the XGBoost fits run (default: this process).
    """
    boosters = boosters or LocalBoosterFits()
    if data.claim_counts[split.train].sum() == 0:
        raise TrainingInputError("cannot fit claim frequency: the training split has no claims")
    counts = cause_counts(data)
    train, valid = _part(data, split.train, counts), _part(data, split.valid, counts)
    frequency = boosters.frequency(train, valid, params, seed)
    train_claims, valid_claims = claims_part(data, split.train), claims_part(data, split.valid)
    try:
        severity = boosters.severity(train_claims, valid_claims, params, seed)
    except InsufficientClaimsError as exc:
        raise TrainingInputError(str(exc)) from exc
    x, observed_by_policy, exposure = train
    observed = observed_by_policy.sum(axis=0)
    factors = cause_factors(observed, frequency.claim_rates(x) * exposure[:, None])
    frequency = frequency.with_balance(factors)
    _, losses, _ = train_claims
    severity, report, fits = balance_tails(severity, train_claims)
    balance = BalanceCorrections(
        observed_claims=float(observed.sum()),
        observed_loss_usd=float(losses.sum()),
        cause_claim_factors=dict(zip(CLAIM_CAUSES, factors.tolist(), strict=True)),
        cause_observed_claims=dict(zip(CLAIM_CAUSES, observed.tolist(), strict=True)),
        **{  # type: ignore[arg-type]
            f"cause_{key}": dict(zip(CLAIM_CAUSES, values, strict=True))
            for key, values in report.items()
        },
    )
    return FittedModels(LossModel(frequency, severity), balance, fits)


def balance_tails(
    severity: SeverityModel, train_claims: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[SeverityModel, dict[str, list[float]], list[FittedTail]]:
    """The tails and the capped-loss shifts of each cause, fitted in turn (module docstring)."""
    x, losses, cause = train_claims
    raw_claim_mu = severity.raw_claim_mu(x, cause)
    shift = np.zeros(len(CLAIM_CAUSES))
    for _ in range(TAIL_BALANCE_ROUNDS):
        tails, fits = fit_cause_tails(losses, raw_claim_mu + shift[cause], severity.sigma, cause)
        report = capped_balance(raw_claim_mu, severity.sigma, tails, losses, cause)
        shift = np.asarray(report["mu_shift"])
    return severity.with_tails(tails).with_shift(shift), report, fits
