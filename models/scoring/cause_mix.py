"""The cause mix: which cause a city's claim is, given its exposure.

A city's claims of cause c arrive at ``rate_c = total rate x mix_c x factor_c``:
the total rate is the frequency booster's (models/scoring/frequency.py), the
mix a probability over CLAIM_CAUSES and ``factor_c`` the per-cause balance
(training/fitting/balance.py). Given its Poisson total, the causes of a
policy's claims are multinomial with the mix, so the mix is fitted on the
claims alone (one row a claim, its policy's features); the offset and the
exposure stay with the total rate.

The mix is a multinomial logit on the log-linear inputs (models/scoring/glm_inputs.py),
its penalty chosen on the validation claims, then boosted by an XGBoost
``multi:softprob`` booster that starts from the logit's log-probabilities
(``base_margin``) and is early-stopped on the validation claims. Why not the
booster alone: with about a thousand training claims over seven causes, stumps
from a flat start lost to a per-cause Poisson GLM on the expected per-cause
deviance on three of four seeded portfolios, and the logit start won on three
(docs/architecture.md, "Cause mix"); the booster then adds what the logit's
linear log-odds miss where the validation claims support it.

A cause with no training claim gets the logit's intercept of half a claim's
share and no slope: a rate that is small but not zero, so its log is finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xgboost as xgb
from scipy.special import log_softmax, logsumexp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from models.scoring.booster_params import BoosterParams
from models.scoring.features import FEATURE_NAMES
from models.scoring.glm_inputs import GlmInputs
from models.spec.contract import CLAIM_CAUSES

CAUSE_COUNT = len(CLAIM_CAUSES)
#: Inverse penalties of the logit tried on the validation claims (sklearn's C).
LOGIT_PENALTIES = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2)


@dataclass(frozen=True)
class CauseLogit:
    """Multinomial logit: log-odds = intercept + coef @ inputs, one row of coef a cause."""

    inputs: GlmInputs
    coef: np.ndarray  # (K, features)
    intercept: np.ndarray  # (K,)
    penalty: float  # sklearn's C, chosen on the validation claims

    def log_mix(self, features: np.ndarray) -> np.ndarray:
        """log P(cause | claim), (rows, K)."""
        z = self.inputs.transform(features)
        return log_softmax(z @ self.coef.T + self.intercept, axis=1)


@dataclass(frozen=True)
class CauseMixModel:
    """The logit, the booster on top of it and the per-cause balance factors."""

    logit: CauseLogit
    booster: xgb.Booster
    best_iteration: int
    cause_factors: np.ndarray  # (K,), 1 as fitted

    def mix(self, features: np.ndarray) -> np.ndarray:
        """P(cause | claim) as fitted (before the balance factors), (rows, K)."""
        margin = self.logit.log_mix(features)
        pred = self.booster.inplace_predict(
            features, predict_type="value", base_margin=margin.astype(np.float32)
        )
        return np.asarray(pred, dtype=np.float64).reshape(len(features), CAUSE_COUNT)

    def cause_rates(self, total_rate: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Claims per year of each cause, (rows, K): total x mix x balance factor."""
        return np.asarray(total_rate)[:, np.newaxis] * self.mix(features) * self.cause_factors

    def with_balance(self, factors: np.ndarray) -> CauseMixModel:
        return CauseMixModel(
            self.logit, self.booster, self.best_iteration, np.asarray(factors, dtype=np.float64)
        )


def mix_xgb_params(params: BoosterParams, seed: int) -> dict[str, object]:
    """XGBoost parameters of the cause-mix booster."""
    return {
        "objective": "multi:softprob",
        "num_class": CAUSE_COUNT,
        "tree_method": "hist",
        "max_depth": params.mix_max_depth,
        "eta": params.eta,
        "min_child_weight": params.mix_min_child_weight,
        "subsample": params.subsample,
        "colsample_bytree": params.colsample_bytree,
        "lambda": params.mix_reg_lambda,
        "max_bin": params.max_bin,
        "nthread": params.nthread,
        "seed": seed,
        "eval_metric": "mlogloss",
    }


def fit_logit(
    inputs: GlmInputs, train: tuple[np.ndarray, np.ndarray], valid: tuple[np.ndarray, np.ndarray]
) -> CauseLogit:
    """The logit on (claim features, cause index), its penalty the best on ``valid``."""
    (x_train, cause_train), (x_valid, cause_valid) = train, valid
    z_train, z_valid = inputs.transform(x_train), inputs.transform(x_valid)
    seen = np.unique(cause_train)
    best: tuple[float, LogisticRegression, float] | None = None
    for penalty in LOGIT_PENALTIES:
        if len(seen) < 2:
            break
        fitted = LogisticRegression(C=penalty, max_iter=2000, tol=1e-8).fit(z_train, cause_train)
        loss = log_loss(cause_valid, fitted.predict_proba(z_valid), labels=seen)
        if best is None or loss < best[0]:
            best = (loss, fitted, penalty)
    coef = np.zeros((CAUSE_COUNT, z_train.shape[1]))
    counts = np.bincount(cause_train, minlength=CAUSE_COUNT).astype(np.float64)
    if best is None:  # one cause only: the shares are the whole model
        return CauseLogit(inputs, coef, np.log(np.maximum(counts, 0.5) / len(cause_train)), 0.0)
    _, fitted, penalty = best
    coef[fitted.classes_] = fitted.coef_
    # an unseen cause: half a claim's share at the portfolio's average inputs (z = 0)
    intercept = np.full(CAUSE_COUNT, np.log(0.5 / len(cause_train)) + logsumexp(fitted.intercept_))
    intercept[fitted.classes_] = fitted.intercept_
    return CauseLogit(inputs, coef, intercept, float(penalty))


def _claims_matrix(features: np.ndarray, cause: np.ndarray, logit: CauseLogit) -> xgb.DMatrix:
    margin = logit.log_mix(features).astype(np.float32)
    return xgb.DMatrix(
        features, label=cause, base_margin=margin.ravel(), feature_names=list(FEATURE_NAMES)
    )


def fit_cause_mix(
    inputs: GlmInputs,
    train: tuple[np.ndarray, np.ndarray],
    valid: tuple[np.ndarray, np.ndarray],
    params: BoosterParams,
    seed: int,
) -> CauseMixModel:
    """Logit, then the booster from its margin, on (claim features, cause index) of each split.

    The booster is early-stopped on ``valid`` and cut at its best round, so the
    saved trees are the ones used for prediction.
    """
    logit = fit_logit(inputs, train, valid)
    dtrain, dvalid = _claims_matrix(*train, logit), _claims_matrix(*valid, logit)
    booster = xgb.train(
        mix_xgb_params(params, seed),
        dtrain,
        num_boost_round=params.max_rounds,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=params.mix_early_stopping_rounds,
        verbose_eval=False,
    )
    best = int(booster.best_iteration)
    return CauseMixModel(logit, booster[: best + 1], best, np.ones(CAUSE_COUNT))
