"""The per-cause GLM baseline an XGBoost model has to beat, on the same features and split.

Same structure as the XGBoost loss model (training/fitting/boosters.py), so
the comparison is like for like:

- Frequency: one sklearn ``PoissonRegressor`` per cause on the claim rate
  ``y = count / exposure_years`` with ``sample_weight = exposure_years``
  (exactly the likelihood of a Poisson GLM with a log(exposure) offset),
  on the log-linear inputs (models/scoring/glm_inputs.py). The ridge penalty
  of each cause is chosen on the validation policies' deviance from
  ``FREQUENCY_PENALTIES``: an actuary tunes a GLM too, and untuned (1e-4)
  the rare causes overfit (per-cause expected excess deviance 50 against 18
  tuned, on the seed-7 portfolio).
- Severity: a lognormal by least squares on log(loss_usd) (sklearn ``Ridge``,
  the inputs plus a one-hot of the cause), its penalty chosen on the
  validation claims; per-cause sigma, tails and balance by the same rules as
  XGBoost's (models/scoring/severity.cause_sigmas, training/fitting/cause_tails.py,
  training/fitting/balance.py).
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import PoissonRegressor, Ridge
from threadpoolctl import threadpool_limits

from models.pricing.cause_losses import CauseLosses, SeverityTails
from models.scoring.glm_inputs import GlmInputs, heavy_tailed_columns
from models.scoring.severity import cause_sigmas, with_cause
from models.spec.contract import CLAIM_CAUSES
from training.evaluation.metrics import poisson_deviance
from training.fitting.balance import capped_balance, cause_factors
from training.fitting.cause_tails import FittedTail, fit_cause_tails

__all__ = ["GlmBaseline", "fit_baseline", "heavy_tailed_columns"]

#: Tried largest first, each fit starting from the last one's coefficients
#: (warm start: 2-3 Newton steps instead of 6-8). 1e-4 was never chosen on the
#: four seeded portfolios.
FREQUENCY_PENALTIES = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3)
SEVERITY_PENALTIES = (0.1, 1.0, 10.0, 100.0)
_ROUNDS = 2  # tails and capped balance in turn, as for XGBoost

Policies = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # features, exposure, owner, cause
Claims = tuple[np.ndarray, np.ndarray, np.ndarray]  # claim features, loss_usd, cause


@dataclass(frozen=True)
class FlatRate:
    """The rate of a cause with no training claim: half a claim over the training exposure."""

    rate: float

    def predict(self, z: np.ndarray) -> np.ndarray:
        return np.full(len(z), self.rate)


@dataclass(frozen=True)
class GlmBaseline:
    """Fitted per-cause Poisson GLMs and the lognormal severity GLM with its tails."""

    inputs: GlmInputs
    frequency: tuple[PoissonRegressor | FlatRate, ...]  # one a cause
    severity: Ridge
    sigma: np.ndarray  # (K,)
    tails: SeverityTails
    cause_factors: np.ndarray  # (K,) the claim balance
    mu_shift: np.ndarray  # (K,) the capped-loss balance
    fits: tuple[FittedTail, ...] = ()

    def cause_rates(self, features: np.ndarray) -> np.ndarray:
        """Claims per policy-year of each cause, (rows, K)."""
        z = self.inputs.transform(features)
        return np.column_stack([m.predict(z) for m in self.frequency]) * self.cause_factors

    def raw_mu(self, z: np.ndarray, cause: np.ndarray) -> np.ndarray:
        return self.severity.predict(with_cause(z, cause).astype(np.float64))

    def predict_losses(self, features: np.ndarray) -> CauseLosses:
        z = self.inputs.transform(features)
        k = len(CLAIM_CAUSES)
        rows = np.repeat(z, k, axis=0)
        mu = self.raw_mu(rows, np.tile(np.arange(k), len(z))).reshape(len(z), k) + self.mu_shift
        return CauseLosses(self.cause_rates(features), mu, self.sigma, self.tails)


def _counts(n_policies: int, owner: np.ndarray, cause: np.ndarray) -> np.ndarray:
    counts = np.zeros((n_policies, len(CLAIM_CAUSES)))
    np.add.at(counts, (owner, cause), 1.0)
    return counts


def _fit_cause(
    z: tuple[np.ndarray, np.ndarray], counts: tuple[np.ndarray, np.ndarray],
    exposure: tuple[np.ndarray, np.ndarray], k: int,
) -> PoissonRegressor | FlatRate:  # fmt: skip
    """Cause ``k``'s validation-best Poisson GLM (warm-started down the penalties)."""
    (z_t, z_v), (counts_t, counts_v), (e_t, e_v) = z, counts, exposure
    if counts_t[:, k].sum() == 0:  # as the frequency start does (models/scoring/frequency.py)
        return FlatRate(0.5 / float(np.sum(e_t)))
    best: tuple[float, PoissonRegressor] | None = None
    # tol 1e-6: the coefficients agree with tol 1e-8 to 6 digits in half the time
    model = PoissonRegressor(solver="newton-cholesky", max_iter=300, tol=1e-6, warm_start=True)
    for alpha in FREQUENCY_PENALTIES:
        model.set_params(alpha=alpha).fit(z_t, counts_t[:, k] / e_t, sample_weight=e_t)
        deviance = poisson_deviance(counts_v[:, k], model.predict(z_v) * e_v)
        if best is None or deviance < best[0]:
            best = (deviance, copy.deepcopy(model))
    assert best is not None
    return best[1]


def _fit_frequency(
    inputs: GlmInputs, train: Policies, valid: Policies
) -> tuple[tuple[PoissonRegressor | FlatRate, ...], np.ndarray]:
    """Per cause, the validation-best Poisson GLM; and the training policies' counts.

    The causes are independent fits on two threads with one BLAS thread each
    (two BLAS threads on two busy cores spin-wait for each other).
    """
    z = inputs.transform(train[0]), inputs.transform(valid[0])
    counts = _counts(len(z[0]), train[2], train[3]), _counts(len(z[1]), valid[2], valid[3])
    exposure = train[1], valid[1]
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(2) as pool:
        models = pool.map(lambda k: _fit_cause(z, counts, exposure, k), range(len(CLAIM_CAUSES)))
        return tuple(models), counts[0]


def _fit_severity(inputs: GlmInputs, train: Claims, valid: Claims) -> tuple[Ridge, np.ndarray]:
    """The validation-best ridge on log loss and the per-cause sigma."""
    rows_t = with_cause(inputs.transform(train[0]), train[2]).astype(np.float64)
    rows_v = with_cause(inputs.transform(valid[0]), valid[2]).astype(np.float64)
    y_t, y_v = np.log(train[1]), np.log(valid[1])
    best: tuple[float, Ridge] | None = None
    for alpha in SEVERITY_PENALTIES:
        model = Ridge(alpha=alpha).fit(rows_t, y_t)
        error = float(np.mean((y_v - model.predict(rows_v)) ** 2))
        if best is None or error < best[0]:
            best = (error, model)
    assert best is not None
    model = best[1]
    sigma = cause_sigmas(y_t - model.predict(rows_t), train[2], y_v - model.predict(rows_v))
    return model, sigma


def fit_baseline(
    train: Policies, valid: Policies, claims_train: Claims, claims_valid: Claims
) -> GlmBaseline:
    """Fit on the training split, choose penalties on the validation split, balance per cause.

    ``train``/``valid``: (features, exposure_years, claim owner row, claim cause)
    of the policies; ``claims_*``: (claim features, loss_usd, cause).
    """
    inputs, _ = GlmInputs.fit_transform(train[0])
    frequency, counts = _fit_frequency(inputs, train, valid)
    severity, sigma = _fit_severity(inputs, claims_train, claims_valid)
    glm = GlmBaseline(
        inputs, frequency, severity, sigma,
        SeverityTails(np.full(len(CLAIM_CAUSES), 8.0), np.zeros(len(CLAIM_CAUSES)), np.ones(len(CLAIM_CAUSES))),
        np.ones(len(CLAIM_CAUSES)), np.zeros(len(CLAIM_CAUSES)),
    )  # fmt: skip
    expected = glm.cause_rates(train[0]) * train[1][:, None]
    factors = cause_factors(counts.sum(axis=0), expected)
    _, losses, cause = claims_train
    claim_mu = glm.raw_mu(inputs.transform(claims_train[0]), cause)
    shift = np.zeros(len(CLAIM_CAUSES))
    for _ in range(_ROUNDS):
        tails, fits = fit_cause_tails(losses, claim_mu + shift[cause], sigma, cause)
        shift = np.asarray(capped_balance(claim_mu, sigma, tails, losses, cause)["mu_shift"])
    return GlmBaseline(inputs, frequency, severity, sigma, tails, factors, shift, tuple(fits))
