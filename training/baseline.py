"""The GLM baseline an XGBoost model has to beat, on the same features and split.

Preprocessing (fitted on the training policies only): log1p of every
heavy-tailed column - features from a count, size or duration field (any
numeric field whose unit is not "%") and the derived features - then
standardisation. Frequency: sklearn ``PoissonRegressor`` on the claim rate
``y = count / exposure_years`` with ``sample_weight = exposure_years``, which
has exactly the likelihood of a Poisson GLM with a log(exposure) offset.
Severity: lognormal by least squares on log(loss_usd) (ridge, to absorb the
collinear one-hot columns), sigma from the training residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import PoissonRegressor, Ridge

from models.features import DERIVED_FEATURES, FEATURES
from models.fields import FIELDS_BY_NAME

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

    def claim_rate_per_year(self, features: np.ndarray) -> np.ndarray:
        """Expected claims per policy-year."""
        return self.frequency.predict(self.preprocessor.transform(features))

    def severity_mu(self, features: np.ndarray) -> np.ndarray:
        """Lognormal location (log USD) of one ground-up loss."""
        return self.severity.predict(self.preprocessor.transform(features))


def fit_baseline(
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    claims_train: tuple[np.ndarray, np.ndarray],
    alpha: float = 1e-4,
) -> GlmBaseline:
    """Fit on (features, claim counts, exposure_years) and (claim features, loss_usd)."""
    features, counts, exposure = train
    pre, x = GlmPreprocessor.fit_transform(features)
    # tol 1e-6: the coefficients agree with tol 1e-8 to 6 digits in half the time
    frequency = PoissonRegressor(alpha=alpha, solver="newton-cholesky", max_iter=300, tol=1e-6)
    frequency.fit(x, counts / exposure, sample_weight=exposure)
    claim_x, loss = claims_train
    log_loss = np.log(loss)
    severity = Ridge(alpha=1.0).fit(pre.transform(claim_x), log_loss)
    residual = log_loss - severity.predict(pre.transform(claim_x))
    # degrees of freedom: the fitted coefficients absorb part of the spread
    dof = max(len(residual) - claim_x.shape[1] - 1, 1)
    return GlmBaseline(pre, frequency, severity, float(np.sqrt(np.sum(residual**2) / dof)))
