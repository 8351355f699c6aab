"""The GLM baseline an XGBoost model has to beat, on the same features and split.

Preprocessing (fitted on the training policies only): log1p of every
heavy-tailed column - features from a count, size or duration field (any
numeric field whose unit is not "%") and the derived features - then
standardisation. Frequency: sklearn ``PoissonRegressor`` on the claim rate
``y = count / exposure_years`` with ``sample_weight = exposure_years``, which
has exactly the likelihood of a Poisson GLM with a log(exposure) offset.
Severity: lognormal by least squares on log(loss_usd) (ridge, to absorb the
collinear one-hot columns), sigma from the training residuals.

Balance: ``fit_baseline`` applies the XGBoost models' balance
(training/fitting/balance.py) to the fitted GLM, so that both price a layer on the
same footing: the claim rates scaled to the observed training claims, the
severity location shifted so the capped training losses balance. Unbalanced,
the GLM's location is the mean log loss, and its layer prices and severity
likelihood would not be comparable with the balanced XGBoost model's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sklearn.linear_model import PoissonRegressor, Ridge

from models.scoring.features import DERIVED_FEATURES, FEATURES
from models.spec.fields import FIELDS_BY_NAME
from training.fitting.balance import body_balance, frequency_factor

DERIVED_NAMES = frozenset(d.name for d in DERIVED_FEATURES)


def heavy_tailed_columns() -> np.ndarray:
    """Boolean mask over FEATURES: columns the GLM sees through log1p."""
    mask = []
    for feature in FEATURES:
        field = FIELDS_BY_NAME[feature.fields[0]]
        from_size_field = feature.name == field.name and field.is_numeric and field.unit != "%"
        mask.append(feature.name in DERIVED_NAMES or from_size_field)
    return np.asarray(mask)


@dataclass(frozen=True)
class GlmPreprocessor:
    """log1p on heavy-tailed columns, then (x - mean) / std of the training rows."""

    log_columns: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit_transform(cls, features: np.ndarray) -> tuple[GlmPreprocessor, np.ndarray]:
        """The fitted preprocessor and the training rows it transforms (one pass)."""
        mask = heavy_tailed_columns()
        x = _log1p(features, mask)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        x -= mean
        x /= scale
        return cls(mask, mean, scale), x

    def transform(self, features: np.ndarray) -> np.ndarray:
        return (_log1p(features, self.log_columns) - self.mean) / self.scale


def _log1p(features: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x = np.array(features, dtype=np.float64, order="F")  # a copy; columns contiguous
    for j in np.flatnonzero(mask):
        column = x[:, j]
        np.log1p(np.maximum(column, 0.0, out=column), out=column)
    return x


@dataclass(frozen=True)
class GlmBaseline:
    """Fitted Poisson frequency GLM and lognormal severity GLM."""

    preprocessor: GlmPreprocessor
    frequency: PoissonRegressor
    severity: Ridge
    sigma: float
    frequency_factor: float = 1.0  # the balance (fit_baseline); 1 and 0 as fitted
    mu_shift: float = 0.0

    def claim_rate_per_year(self, features: np.ndarray) -> np.ndarray:
        """Expected claims per policy-year."""
        rate = self.frequency.predict(self.preprocessor.transform(features))
        return rate * self.frequency_factor

    def severity_mu(self, features: np.ndarray) -> np.ndarray:
        """Lognormal location (log USD) of one ground-up loss."""
        return self.severity.predict(self.preprocessor.transform(features)) + self.mu_shift


def fit_baseline(
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    claims_train: tuple[np.ndarray, np.ndarray],
    alpha: float = 1e-4,
    balance: bool = True,
) -> GlmBaseline:
    """Fit on (features, claim counts, exposure_years) and (claim features, loss_usd).

    With ``balance`` (the default) the fit is then balanced to those training
    totals as the XGBoost models are; without it the GLM is returned as fitted.
    """
    features, counts, exposure = train
    pre, x = GlmPreprocessor.fit_transform(features)
    # tol 1e-6: the coefficients agree with tol 1e-8 to 6 digits in half the time
    frequency = PoissonRegressor(alpha=alpha, solver="newton-cholesky", max_iter=300, tol=1e-6)
    frequency.fit(x, counts / exposure, sample_weight=exposure)
    claim_x, loss = claims_train
    log_loss = np.log(loss)
    claim_z = pre.transform(claim_x)
    severity = Ridge(alpha=1.0).fit(claim_z, log_loss)
    residual = log_loss - severity.predict(claim_z)
    # degrees of freedom: the fitted coefficients absorb part of the spread
    dof = max(len(residual) - claim_x.shape[1] - 1, 1)
    glm = GlmBaseline(pre, frequency, severity, float(np.sqrt(np.sum(residual**2) / dof)))
    if not balance:
        return glm
    # the training policies are already transformed: predict on x, not features
    expected = frequency.predict(x) * exposure
    factor = frequency_factor(float(np.sum(counts)), expected)
    report = body_balance(expected * factor, severity.predict(x), glm.sigma, loss)
    return replace(glm, frequency_factor=factor, mu_shift=report["body_mu_shift"])
