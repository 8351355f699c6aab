"""Claim frequency by cause: a log-linear start with the spec's signs, boosted by XGBoost.

The claims of cause c of a policy are Poisson with mean ``rate_c * exposure_years``,

    log(rate_c) = start_c(features) + trees_c(features) + log(balance_c),

- ``start_c``: a Poisson log-linear model on the log-linear inputs
  (models/scoring/glm_inputs.py) whose every slope has the sign of the
  field's direction in the spec (none for undirected fields), ridge-
  penalised, the penalty chosen by five folds of the training policies;
  the city's size (``RATING_BASE``) is not penalised;
- ``trees_c``: an XGBoost ``count:poisson`` booster with the spec's monotone
  constraints, fitted from the start (``base_margin`` = log(exposure_years) +
  start) and early-stopped on the validation policies;
- ``balance_c``: observed / predicted training claims of the cause
  (training/fitting/balance.py).

Why this shape: every cause's rate is monotone in every directed field (a
sum of monotone terms), so the expected loss and every layer's price move
the way the spec says for every city, which a total rate times a cause mix
could not promise (the mix redistributes claims: on the shipped model a
riskier answer lowered the price of one city in five by up to 1.6%). The
signed start carries what a thousand claims can say about seven causes (on
four seeded portfolios it beat the unconstrained per-cause GLM on every one,
expected per-cause deviance 12.1-18.8 against 13.5-21.8); the trees add the
interactions and saturations a log-linear start misses where the validation
policies support them (often a few trees).

XGBoost pitfalls (xgboost #2881, #2987): ``base_margin`` is not saved with a
booster and the default ``base_score`` is added on top of it, so
``base_score`` is 1.0 (a margin of 0) and the start is passed again as
``base_margin`` at predict time, from the coefficients stored in the bundle.
A claim rate is per policy-year; an expected claim count is rate x years.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import xgboost as xgb
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from models.scoring.booster_params import BoosterParams
from models.scoring.booster_trainer import LOCAL_TRAINER, BoosterTrainer
from models.scoring.features import FEATURE_NAMES, MONOTONE_CONSTRAINTS
from models.scoring.glm_inputs import GlmInputs
from models.scoring.tree_predictor import (
    FAST_PATH_MAX_ROWS,
    Forest,
    group_contributions,
    group_margins,
    try_compile,
)
from models.spec.contract import CLAIM_CAUSES

CAUSE_COUNT = len(CLAIM_CAUSES)
#: Ridge penalties of the signed start, largest first, tried on START_FOLDS folds of the
#: training policies. One validation split (15,000 policies, ~30 claims a cause) chose them
#: by its noise: on benchmarks/bench_quality.py's four portfolios the folds' choice brought
#: the per-cause expected excess deviance from 12.5 / 19.6 / 16.5 / 12.6 to 10.7 / 16.1 /
#: 13.3 / 12.4 and the standard layer's per-policy error from 0.176 / 0.267 / 0.198 / 0.192
#: to 0.184 / 0.186 / 0.203 / 0.189 (one penalty for every cause, chosen by folds: 10.5 /
#: 16.1 / 12.3 / 12.7 and 0.181 / 0.191 / 0.188 / 0.197, about the same). The folds cost
#: about 5x the start's fit (2.1 s to 9.5 s on 70,000 training policies).
START_PENALTIES = (3e-2, 1e-2, 3e-3, 1e-3)
START_FOLDS = 5
#: The city's size, the rating base of every cyber tariff: its slopes are not penalised. One
#: ridge on every slope shrank the size elasticity with the rest (a penalty of 1e-3 against
#: ~1.5e-3 claims a policy-year of ransomware), so the largest cities, which carry most of
#: the expected loss, were priced low and the small ones high. On
#: benchmarks/bench_quality.py's seed 11 the 30 largest-budget holdout cities' ransomware
#: rate came out 0.46 below the truth in log, and the 35 training cities that carry half of
#: the true $4M xs $1M loss had 49 claims against 47.3 expected and 39.9 predicted (the data
#: were right, the start was not); on seed 7 the predicted / true claims ran from 1.10 in
#: the smallest budget decile to 0.97 in the largest. Unpenalised (the size directions are
#: the best determined of all: a thousand claims spread over five orders of magnitude of
#: budget), the per-cause expected excess deviance x 1e4 went from 10.7 / 16.1 / 13.3 / 12.4
#: to 9.2 / 15.4 / 10.4 / 9.5 and the total count's from 2.9 / 3.8 / 3.8 / 4.0 to 1.2 / 2.7
#: / 2.0 / 1.5 on the four portfolios (with the severity start's large-estate slope,
#: models/scoring/severity.py, without which the small cities' severity, priced low, had
#: been hidden by their frequency priced high).
RATING_BASE: tuple[str, ...] = ("population", "annual_revenue_usd", "employee_count")
_RATING_BASE_COLUMNS = np.array([FEATURE_NAMES.index(name) for name in RATING_BASE])
_NEWTON_STEPS = 30
_NEWTON_TOL = 1e-10


def booster_xgb_params(params: BoosterParams, objective: str, seed: int) -> dict[str, object]:
    """XGBoost's parameter dict; monotone constraints come from the field spec."""
    return {
        "objective": objective,
        "tree_method": "hist",
        "max_depth": params.max_depth,
        "eta": params.eta,
        "min_child_weight": params.min_child_weight,
        "subsample": params.subsample,
        "colsample_bytree": params.colsample_bytree,
        "lambda": params.reg_lambda,
        "max_bin": params.max_bin,
        "nthread": params.nthread,
        "seed": seed,
        "monotone_constraints": "(" + ",".join(str(c) for c in MONOTONE_CONSTRAINTS) + ")",
    }


def _check_matrix(features: np.ndarray) -> None:
    if features.ndim != 2 or features.shape[1] != len(FEATURE_NAMES):
        raise ValueError(
            f"feature matrix must have {len(FEATURE_NAMES)} columns (FEATURE_NAMES), "
            f"got shape {features.shape}"
        )


def slope_bounds() -> list[tuple[float | None, float | None]]:
    """Per feature: a slope of the field's sign, or free where the spec gives none."""
    return [(0.0, None) if c > 0 else (None, 0.0) if c < 0 else (None, None)
            for c in MONOTONE_CONSTRAINTS]  # fmt: skip


def fit_signed_poisson(
    z: np.ndarray, counts: np.ndarray, exposure: np.ndarray, penalty: float,
    start: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """(intercept, slopes) of a ridge Poisson log-linear model with signed slopes.

    Minimises mean(mu - y eta) + penalty/2 |slopes|^2, eta = log(exposure) +
    intercept + z @ slopes, the slopes of ``RATING_BASE`` (z's columns in
    FEATURE_NAMES order) left out of the penalty, by Newton steps: each a
    bounded quadratic in the ~60 coefficients (L-BFGS-B on the exact Hessian,
    no pass over the data), halved until the objective falls.
    """
    n, p = z.shape
    design = np.column_stack([np.ones(n), z])
    offset = np.log(exposure)
    bounds = [(None, None), *slope_bounds()]
    theta = np.zeros(p + 1) if start is None else start.copy()
    if start is None:
        theta[0] = np.log(max(float(counts.sum()), 0.5) / float(exposure.sum()))
    ridge = np.full(p + 1, penalty)
    ridge[0] = 0.0
    ridge[1 + _RATING_BASE_COLUMNS] = 0.0

    def objective(t: np.ndarray) -> float:
        eta = offset + design @ t
        return float(np.mean(np.exp(eta) - counts * eta) + 0.5 * np.sum(ridge * t * t))

    lower = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
    upper = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    value = objective(theta)
    for _ in range(_NEWTON_STEPS):
        mu = np.exp(offset + design @ theta)
        grad = design.T @ (mu - counts) / n + ridge * theta
        weighted = design * np.sqrt(mu)[:, np.newaxis]
        hess = weighted.T @ weighted / n + np.diag(ridge)  # w'w: one symmetric product
        step = _bounded_newton_step(hess, grad, lower - theta, upper - theta)
        scale = 1.0
        while scale > 1e-6:
            trial = theta + scale * step
            trial_value = objective(trial)
            if trial_value <= value:
                break
            scale /= 2.0
        else:
            break
        theta, previous, value = trial, value, trial_value
        if previous - value < _NEWTON_TOL:
            break
    return theta


def _bounded_newton_step(
    hess: np.ndarray, grad: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """argmin_d d'Hd/2 + g'd with lower <= d <= upper (a ~60-dimensional problem)."""

    def quadratic(d: np.ndarray) -> tuple[float, np.ndarray]:
        return float(0.5 * d @ hess @ d + grad @ d), hess @ d + grad

    box = [
        (None if np.isinf(lo) else float(lo), None if np.isinf(hi) else float(hi))
        for lo, hi in zip(lower, upper, strict=True)
    ]
    # ftol 0, tight gtol: near the optimum a step gains less than scipy's default
    # ftol, and stopping there left the fit 1e-6 to 1e-4 from its optimum
    options = {"ftol": 0.0, "gtol": 1e-12, "maxiter": 1000}
    return minimize(
        quadratic, np.zeros(len(grad)), jac=True, method="L-BFGS-B", bounds=box, options=options
    ).x


@dataclass(frozen=True)
class SignedStart:
    """The log-linear start of every cause: log rate per year = intercept + coef @ inputs."""

    inputs: GlmInputs
    intercept: np.ndarray  # (K,)
    coef: np.ndarray  # (K, features)
    penalty: np.ndarray  # (K,), chosen by the folds of the training policies

    def log_rates(self, features: np.ndarray) -> np.ndarray:
        """(rows, K) log claims per policy-year of the start alone.

        Up to FAST_PATH_MAX_ROWS rows (a quote, a batch of quotes) each row's
        sum runs on its own, in one order, so a city's rates are the same bit
        for bit alone or in a batch (a BLAS product may block rows together).
        """
        z = self.inputs.transform(features)
        if len(z) <= FAST_PATH_MAX_ROWS:
            terms = np.ascontiguousarray(z)[:, np.newaxis, :] * self.coef[np.newaxis, :, :]
            return terms.sum(axis=2) + self.intercept
        return z @ self.coef.T + self.intercept


@dataclass(frozen=True)
class FrequencyModel:
    """The signed start, one booster a cause and the per-cause balance factors."""

    start: SignedStart
    boosters: tuple[xgb.Booster, ...]  # one a cause, CLAIM_CAUSES order
    best_iterations: tuple[int, ...]
    balance_factors: np.ndarray  # (K,), 1 as fitted

    def log_rates(self, features: np.ndarray) -> np.ndarray:
        """(rows, K) log claims per policy-year of each cause."""
        _check_matrix(features)
        # base_score 1.0 is a margin of 0: the trees' margin is their sum alone
        trees = group_margins(self.boosters, self.forest, features)
        return self.start.log_rates(features) + trees + np.log(self.balance_factors)

    @cached_property
    def forest(self) -> Forest | None:
        """Every cause's trees in one compiled walk (models/scoring/tree_predictor.py), read once."""
        return try_compile(self.boosters)

    def tree_contributions(self, features: np.ndarray) -> np.ndarray:
        """(rows, K, features + 1) each booster's Saabas contributions, bias last."""
        _check_matrix(features)
        return group_contributions(self.boosters, self.forest, features)

    def claim_rates(self, features: np.ndarray) -> np.ndarray:
        """(rows, K) expected claims per policy-year of each cause."""
        return np.exp(self.log_rates(features))

    def claim_rate_per_year(self, features: np.ndarray) -> np.ndarray:
        """Expected claims per policy-year, all causes."""
        return self.claim_rates(features).sum(axis=1)

    def with_balance(self, factors: np.ndarray) -> FrequencyModel:
        return FrequencyModel(
            self.start, self.boosters, self.best_iterations, np.asarray(factors, np.float64)
        )


def frequency_xgb_params(params: BoosterParams, seed: int) -> dict[str, object]:
    """XGBoost parameters of each cause's booster (also used by benchmarks)."""
    xgb_params = booster_xgb_params(params, "count:poisson", seed)
    xgb_params["min_child_weight"] = params.frequency_min_child_weight
    xgb_params["lambda"] = params.frequency_reg_lambda
    # margin 0: otherwise base_score is added on top of the exposure offset
    xgb_params["base_score"] = 1.0
    xgb_params["eval_metric"] = "poisson-nloglik"
    return xgb_params


Policies = tuple[np.ndarray, np.ndarray, np.ndarray]  # features, claim counts (n, K), exposure


def _fit_cause_start(
    z: np.ndarray, train: Policies, fold: np.ndarray, k: int
) -> tuple[np.ndarray, float]:
    """(intercept, slopes) and penalty of cause ``k``'s start, the penalty chosen by the folds."""
    _, y, e = train
    if y[:, k].sum() == 0:  # no claim to fit: half a claim over the exposure, no slope
        flat = np.zeros(z.shape[1] + 1)
        flat[0] = np.log(0.5 / float(e.sum()))
        return flat, START_PENALTIES[0]
    held_out = np.zeros(len(START_PENALTIES))
    # warm starts: the first fold along the penalties, each later fold from the fold
    # before at the same penalty (four fifths of the same policies: a few Newton steps)
    path: list[np.ndarray | None] = [None] * len(START_PENALTIES)
    for f in range(START_FOLDS):
        fit, held = fold != f, fold == f
        z_fit, y_fit, e_fit = z[fit], y[fit, k], e[fit]
        z_held, y_held, log_e_held = z[held], y[held, k], np.log(e[held])
        for j, alpha in enumerate(START_PENALTIES):
            warm = path[j] if path[j] is not None else path[j - 1] if j else None
            path[j] = theta = fit_signed_poisson(z_fit, y_fit, e_fit, alpha, warm)
            eta = log_e_held + theta[0] + z_held @ theta[1:]
            # held-out Poisson deviance, up to terms without the model
            held_out[j] += float(np.sum(np.exp(eta) - y_held * eta))
    best = int(np.argmin(held_out))
    theta = fit_signed_poisson(z, y[:, k], e, START_PENALTIES[best], path[best])
    return theta, START_PENALTIES[best]


def fit_start(inputs: GlmInputs, train: Policies, seed: int) -> SignedStart:
    """Each cause's signed start, its penalty the best of START_PENALTIES over START_FOLDS folds.

    The folds are seeded cuts of the training policies; the held-out Poisson
    deviance is summed over them. The causes are independent fits, run on two
    threads (numpy releases the GIL; one BLAS thread each), in a fixed order
    of results.
    """
    z = inputs.transform(train[0])
    n = len(z)
    fold = np.empty(n, dtype=np.int64)
    fold[np.random.default_rng(seed).permutation(n)] = np.arange(n) % START_FOLDS
    with ThreadPoolExecutor(2) as pool:
        fits = list(pool.map(lambda k: _fit_cause_start(z, train, fold, k), range(CAUSE_COUNT)))
    thetas = np.array([theta for theta, _ in fits])
    return SignedStart(inputs, thetas[:, 0], thetas[:, 1:], np.array([p for _, p in fits]))


def fit_frequency(
    train: Policies,
    valid: Policies,
    params: BoosterParams,
    seed: int,
    trainer: BoosterTrainer = LOCAL_TRAINER,
) -> FrequencyModel:
    """Fit on (features, claim counts by cause, exposure_years), early stopping on ``valid``.

    Each booster is cut at its best validation round, so the saved trees are
    exactly the ones used for prediction. ``trainer`` fits the boosters (here,
    or on a cluster); the starts are fitted here either way.
    """
    _check_matrix(train[0])
    inputs, _ = GlmInputs.fit_transform(train[0])
    # one BLAS thread: the products are small, and two threads on two busy cores
    # spin-wait for each other (a 62 x 70,000 product took 1.5 s instead of 0.015 s)
    with threadpool_limits(1, user_api="blas"):
        start = fit_start(inputs, train, seed)
    margins = [np.log(part[2])[:, None] + start.log_rates(part[0]) for part in (train, valid)]
    names = list(FEATURE_NAMES)
    xgb_params = frequency_xgb_params(params, seed)
    boosters, best = [], []
    for k in range(CAUSE_COUNT):
        if train[1][:, k].sum() == 0:  # trees would only push a claimless cause to zero
            empty = LOCAL_TRAINER.matrix(train[0], train[1][:, k], margins[0][:, k], names)
            boosters.append(xgb.train(xgb_params, empty, num_boost_round=0))
            best.append(-1)
            continue
        dtrain, dvalid = (
            trainer.matrix(part[0], part[1][:, k], m[:, k], names)
            for part, m in zip((train, valid), margins, strict=True)
        )
        booster, iteration = trainer.train(xgb_params, dtrain, dvalid, params)
        boosters.append(booster)
        best.append(iteration)
    return FrequencyModel(start, tuple(boosters), tuple(best), np.ones(CAUSE_COUNT))
