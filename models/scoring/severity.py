"""Severity of one ground-up loss by cause: location from XGBoost, scale and tail per cause.

``log(loss_usd) ~ Normal(mu(features, cause), sigma_cause^2)`` in the body. ``mu``
is ONE XGBoost ``reg:squarederror`` booster on log(loss) whose inputs are the
policy's features plus a one-hot of the claim's cause: the causes share what
they have in common (a large budget raises every cause's loss) and the trees
split on the cause where it matters, which on four seeded portfolios priced
the standard layer per claim closer to the truth than one booster per cause
(mean error 0.24 against 0.38: most causes have a few hundred claims). The
spec's monotone constraints hold for each cause (none on the cause columns).
``base_score`` is the training mean of log(loss), stored in the booster.
Two linear starts passed as base_margin (trees are flat beyond the data)
were tried on the four seeded portfolios: a ridge on every input halved the
per-city error of the $4M xs $1M layer but raised the standard layer's
per-policy error from 0.27-0.33 to 0.33-0.45; a level per cause plus one
slope on log(budget) brought the excess layer's total to 0.95-0.98 of the
truth on three portfolios but let early stopping end at one tree on the
fourth (standard-layer error 0.52). So the booster stands alone.

``sigma`` per cause: the root mean squared out-of-fold residual of the
cause's training claims (``SIGMA_FOLDS`` boosters, each fitted without one
seeded fold and early-stopped on the validation claims), credibility-weighted
with the pooled value by its claim count (``SIGMA_CREDIBILITY`` claims weigh
as much as the pool), so a cause with twenty claims does not get a scale from
twenty residuals. Residuals on the training claims themselves are shrunk by
the fit, and not alike: the depth-4 trees isolate a cause of a hundred claims
more than one of three hundred. One pooled validation / training ratio
corrected the average only: on four seeded portfolios ransomware (true sigma
1.55, about 100 claims) came out at 1.30-1.39 on three, out of fold at
1.54-1.68, and every cause's sigma nearer its truth on at least three.

Above ``t = exp(mu + sigma z_u)`` a GPD tail takes over (models/pricing/spliced.py),
and ``mu_shift`` moves each cause's location so that its capped losses balance;
both are set by training (training/fitting/tail.py, training/fitting/balance.py)
and stored in the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import xgboost as xgb

from models.pricing.cause_losses import CAUSE_COUNT, SeverityTails
from models.scoring.booster_params import BoosterParams
from models.scoring.booster_trainer import LOCAL_TRAINER, BoosterTrainer
from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS
from models.scoring.frequency import booster_xgb_params
from models.scoring.tree_predictor import Forest, group_contributions, group_margins, try_compile
from models.spec.contract import CLAIM_CAUSES

#: Fewer claims than this (training split) cannot support a severity model.
MIN_TRAINING_CLAIMS = 50
#: Fewer validation claims than this cannot give an honest sigma.
MIN_VALIDATION_CLAIMS = 20
#: Claims of a cause that weigh as much as the pooled scale in its sigma.
SIGMA_CREDIBILITY = 30.0
#: Folds of the out-of-fold residuals behind sigma (each booster sees 80% of the claims).
SIGMA_FOLDS = 5
CAUSE_COLUMNS: tuple[str, ...] = tuple(f"cause_{c}" for c in CLAIM_CAUSES)
SEVERITY_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES + CAUSE_COLUMNS
#: A flat tail placeholder until training fits one: z_u = 8 leaves the lognormal.
NO_TAIL = SeverityTails(np.full(CAUSE_COUNT, 8.0), np.zeros(CAUSE_COUNT), np.ones(CAUSE_COUNT))


class InsufficientClaimsError(ValueError):
    """Too few claims to fit the severity model (never a silent fallback)."""


def with_cause(features: np.ndarray, cause: np.ndarray) -> np.ndarray:
    """The severity booster's rows: features and the one-hot of each row's cause index."""
    one_hot = np.zeros((len(features), CAUSE_COUNT), dtype=np.float32)
    one_hot[np.arange(len(features)), cause] = 1.0
    return np.hstack([np.asarray(features, dtype=np.float32), one_hot])


def every_cause(features: np.ndarray) -> np.ndarray:
    """Each policy's row once per cause (policy-major): (rows x K, features + K)."""
    n = len(features)
    return with_cause(np.repeat(features, CAUSE_COUNT, axis=0), np.tile(np.arange(CAUSE_COUNT), n))


@dataclass(frozen=True)
class SeverityModel:
    """The location booster, and per cause the scale, the balance shift and the tail."""

    booster: xgb.Booster
    sigma: np.ndarray  # (K,)
    mu_shift: np.ndarray  # (K,), log(balance factor) of each cause's location
    tails: SeverityTails
    best_iteration: int = 0

    def raw_mu(self, features: np.ndarray) -> np.ndarray:
        """The booster's location (log USD) of each cause, before the balance shift, (rows, K)."""
        if features.ndim != 2 or features.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"feature matrix must have {len(FEATURE_NAMES)} columns")
        n = len(features)
        return self.raw_claim_mu(
            np.repeat(features, CAUSE_COUNT, axis=0), np.tile(np.arange(CAUSE_COUNT), n)
        ).reshape(n, CAUSE_COUNT)

    def raw_claim_mu(self, features: np.ndarray, cause: np.ndarray) -> np.ndarray:
        """The booster's location of each claim's own cause (claims' policy features), (claims,)."""
        return group_margins((self.booster,), self.forest, with_cause(features, cause))[:, 0]

    @cached_property
    def forest(self) -> Forest | None:
        """The location booster's trees as a numpy walk (models/scoring/tree_predictor.py)."""
        return try_compile((self.booster,))

    def tree_contributions(self, features: np.ndarray) -> np.ndarray:
        """(rows x K, features + K + 1) Saabas contributions of every cause's row, bias last."""
        return group_contributions((self.booster,), self.forest, every_cause(features))[:, 0]

    def mu(self, features: np.ndarray) -> np.ndarray:
        """Lognormal body location (log USD) of one loss of each cause, (rows, K)."""
        return self.raw_mu(features) + self.mu_shift

    def with_shift(self, mu_shift: np.ndarray) -> SeverityModel:
        return SeverityModel(
            self.booster,
            self.sigma,
            np.asarray(mu_shift, np.float64),
            self.tails,
            self.best_iteration,
        )

    def with_tails(self, tails: SeverityTails) -> SeverityModel:
        return SeverityModel(self.booster, self.sigma, self.mu_shift, tails, self.best_iteration)


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
    # a thousand claims: a second thread only adds its start-up and, on a busy
    # machine, its spin-waits (0.18 s a round instead of milliseconds)
    xgb_params["nthread"] = 1
    constraints = MONOTONE_CONSTRAINTS + (0,) * CAUSE_COUNT
    xgb_params["monotone_constraints"] = "(" + ",".join(str(c) for c in constraints) + ")"
    return xgb_params


def cause_sigmas(
    train_residual: np.ndarray,
    train_cause: np.ndarray,
    valid_residual: np.ndarray | None,
) -> np.ndarray:
    """Per-cause sigma (see the module docstring), (K,).

    ``valid_residual``: scales the training residuals by the pooled validation
    / training ratio (in-sample residuals, the GLM's); None when the training
    residuals are out of fold already.
    """
    pooled_train = float(np.sqrt(np.mean(train_residual**2)))
    inflation = 1.0
    if valid_residual is not None:
        inflation = float(np.sqrt(np.mean(valid_residual**2))) / pooled_train
    counts = np.bincount(train_cause, minlength=CAUSE_COUNT).astype(np.float64)
    squares = np.bincount(train_cause, weights=train_residual**2, minlength=CAUSE_COUNT)
    blended = (squares + SIGMA_CREDIBILITY * pooled_train**2) / (counts + SIGMA_CREDIBILITY)
    return inflation * np.sqrt(blended)


def fit_severity(
    train: tuple[np.ndarray, np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray, np.ndarray],
    params: BoosterParams,
    seed: int,
    trainer: BoosterTrainer = LOCAL_TRAINER,
) -> SeverityModel:
    """Fit on (features of the claiming policy, loss_usd, cause index) with early stopping on ``valid``.

    Raises InsufficientClaimsError when either split holds too few claims.
    The tail is NO_TAIL and the shift 0 until training sets them. ``trainer``
    fits the boosters (here, or on a cluster); the sigmas are fitted here.
    """
    (x_train, loss_train, cause_train), (x_valid, loss_valid, cause_valid) = train, valid
    if len(loss_train) < MIN_TRAINING_CLAIMS or len(loss_valid) < MIN_VALIDATION_CLAIMS:
        raise InsufficientClaimsError(
            f"too few claims to fit the severity model: {len(loss_train)} training and "
            f"{len(loss_valid)} validation claims; at least {MIN_TRAINING_CLAIMS} and "
            f"{MIN_VALIDATION_CLAIMS} are needed"
        )
    y_train = _log_losses(loss_train, "training")
    y_valid = _log_losses(loss_valid, "validation")
    names = list(SEVERITY_FEATURE_NAMES)
    rows_train, rows_valid = with_cause(x_train, cause_train), with_cause(x_valid, cause_valid)
    dtrain = trainer.matrix(rows_train, y_train, None, names)
    dvalid = trainer.matrix(rows_valid, y_valid, None, names)
    xgb_params = severity_xgb_params(params, seed, float(np.mean(y_train)))
    booster, best = trainer.train(xgb_params, dtrain, dvalid, params)
    fits = _Fits(trainer, xgb_params, params, names, dvalid)
    out_of_fold = fits.out_of_fold(rows_train, y_train, seed)
    sigma = cause_sigmas(y_train - out_of_fold, cause_train, None)
    return SeverityModel(booster, sigma, np.zeros(CAUSE_COUNT), NO_TAIL, best)


@dataclass(frozen=True)
class _Fits:
    """The severity booster's fit (trainer, parameters, validation claims), again on a subset."""

    trainer: BoosterTrainer
    xgb_params: dict
    params: BoosterParams
    names: list[str]
    dvalid: object

    def out_of_fold(self, rows: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
        """Each training claim's location from a booster fitted without its seeded fold."""
        folds = np.empty(len(y), dtype=np.int64)
        folds[np.random.default_rng(seed).permutation(len(y))] = np.arange(len(y)) % SIGMA_FOLDS
        out = np.empty(len(y))
        for fold in range(SIGMA_FOLDS):
            fit, held = folds != fold, folds == fold
            dfold = self.trainer.matrix(rows[fit], y[fit], None, self.names)
            booster, _ = self.trainer.train(self.xgb_params, dfold, self.dvalid, self.params)
            out[held] = group_margins((booster,), None, rows[held])[:, 0]
        return out
