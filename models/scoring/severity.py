"""Severity of one ground-up loss: lognormal, location from XGBoost, fitted scale.

``log(loss_usd) ~ Normal(mu(features), sigma^2)``. ``mu`` is an XGBoost
``reg:squarederror`` booster on log(loss) with the spec's monotone
constraints; its ``base_score`` is set explicitly to the training mean of
log(loss) (stored in the booster, unlike a base_margin). ``sigma`` is the
root mean squared residual on the *validation* claims: residuals on the
training claims are shrunk by the fit, which would thin the tail.
training/fitting/balance.py then sets mu_shift so that the body of the training losses
(below a large-loss threshold) is reproduced.

A lognormal gives closed-form limited expected values and quantiles, which
pricing needs for retentions and limits (models/pricing/lognormal.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xgboost as xgb
from scipy.special import ndtr

from models.pricing.lognormal import lognormal_mean
from models.scoring.booster_params import BoosterParams
from models.scoring.features import FEATURE_NAMES
from models.scoring.frequency import booster_xgb_params, train_early_stopped

#: Fewer claims than this (training split) cannot support a severity model.
MIN_TRAINING_CLAIMS = 50
#: Fewer validation claims than this cannot give an honest sigma.
MIN_VALIDATION_CLAIMS = 20


class InsufficientClaimsError(ValueError):
    """Too few claims to fit the severity model (never a silent fallback)."""


@dataclass(frozen=True)
class SeverityModel:
    """Fitted location booster, scale and the balance shift of the location.

    ``mu_shift`` = log(balance factor): multiplying every mean loss by a
    factor shifts mu by its log and leaves sigma unchanged.
    """

    booster: xgb.Booster
    sigma: float
    mu_shift: float = 0.0
    best_iteration: int = 0

    def mu(self, features: np.ndarray) -> np.ndarray:
        """Lognormal location (log USD) of one ground-up loss, one per row."""
        if features.ndim != 2 or features.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"feature matrix must have {len(FEATURE_NAMES)} columns")
        pred = self.booster.inplace_predict(features, predict_type="margin")
        return np.asarray(pred, dtype=np.float64) + self.mu_shift

    def mean_loss(self, features: np.ndarray) -> np.ndarray:
        """Expected ground-up loss of one claim (USD): exp(mu + sigma^2 / 2)."""
        return lognormal_mean(self.mu(features), self.sigma)

    def with_balance(self, factor: float) -> SeverityModel:
        """The same model with every mean loss multiplied by ``factor``."""
        return SeverityModel(
            self.booster, self.sigma, self.mu_shift + float(np.log(factor)), self.best_iteration
        )


def _log_losses(loss_usd: np.ndarray, split: str) -> np.ndarray:
    losses = np.asarray(loss_usd, dtype=np.float64)
    if np.any(~(losses > 0)):
        raise ValueError(f"{split} claims: loss_usd must be > 0 (ground-up)")
    return np.log(losses)


def severity_xgb_params(params: BoosterParams, seed: int, mean_log_loss: float) -> dict:
    """XGBoost parameters of the severity booster (also used by benchmarks)."""
    xgb_params = booster_xgb_params(params, "reg:squarederror", seed)
    xgb_params["max_depth"] = params.severity_max_depth
    xgb_params["base_score"] = mean_log_loss  # explicit: never estimated by XGBoost
    xgb_params["eval_metric"] = "rmse"
    return xgb_params


def fit_severity(
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray],
    params: BoosterParams,
    seed: int,
) -> SeverityModel:
    """Fit on (features of the claiming policy, loss_usd) with early stopping on ``valid``.

    Raises InsufficientClaimsError when either split holds too few claims.
    """
    (x_train, loss_train), (x_valid, loss_valid) = train, valid
    if len(loss_train) < MIN_TRAINING_CLAIMS or len(loss_valid) < MIN_VALIDATION_CLAIMS:
        raise InsufficientClaimsError(
            f"too few claims to fit the severity model: {len(loss_train)} training and "
            f"{len(loss_valid)} validation claims; at least {MIN_TRAINING_CLAIMS} and "
            f"{MIN_VALIDATION_CLAIMS} are needed"
        )
    y_train = _log_losses(loss_train, "training")
    y_valid = _log_losses(loss_valid, "validation")
    names = list(FEATURE_NAMES)
    dtrain = xgb.DMatrix(x_train, label=y_train, feature_names=names)
    dvalid = xgb.DMatrix(x_valid, label=y_valid, feature_names=names)
    xgb_params = severity_xgb_params(params, seed, float(np.mean(y_train)))
    booster, best = train_early_stopped(xgb_params, dtrain, dvalid, params)
    residual = y_valid - np.asarray(booster.inplace_predict(x_valid), dtype=np.float64)
    sigma = float(np.sqrt(np.mean(residual**2)))
    return SeverityModel(booster, sigma, 0.0, best)


def tail_check(
    loss_usd: np.ndarray,
    mu: np.ndarray,
    sigma: float,
    quantiles: tuple[float, ...] = (0.5, 0.75, 0.9, 0.95, 0.99, 0.995),
) -> list[dict[str, float]]:
    """Fitted vs empirical exceedance counts above high empirical loss quantiles.

    For each threshold u (USD) the empirical count of losses > u is compared
    with the fitted expectation sum_j P(X_j > u) under each claim's own
    lognormal. A ratio near 1 at the 99% threshold means the tail is right.
    """
    losses = np.asarray(loss_usd, dtype=np.float64)
    rows = []
    for q in quantiles:
        threshold = float(np.quantile(losses, q))
        observed = float(np.sum(losses > threshold))
        fitted = float(np.sum(ndtr((mu - np.log(threshold)) / sigma)))
        rows.append(
            {
                "quantile": q,
                "threshold_usd": threshold,
                "observed_exceedances": observed,
                "fitted_exceedances": fitted,
                "fitted_to_observed": fitted / observed if observed > 0 else float("nan"),
            }
        )
    return rows
