"""Severity of one ground-up loss by cause: a sized start and XGBoost, scale and tail per cause.

``log(loss_usd) ~ Normal(mu(features, cause), sigma_cause^2)`` in the body. ``mu``
is a start plus ONE XGBoost ``reg:squarederror`` booster on log(loss) whose inputs are the
policy's features plus a one-hot of the claim's cause: the causes share what
they have in common (a large budget raises every cause's loss) and the trees
split on the cause where it matters, which on four seeded portfolios priced
the standard layer per claim closer to the truth than one booster per cause
(mean error 0.24 against 0.38: most causes have a few hundred claims). The
spec's monotone constraints hold for each cause (none on the cause columns).

The trees correct a start (``base_margin``): per cause a level and slopes on
the log sizes of ``SIZE_FEATURES`` (the budget, the rating base of every
cyber tariff; records held; OT controllers) and on the log budget above the
largest tenth of the claiming cities' (``LARGE_ESTATE_QUANTILE``), each
cause's slopes pulled towards the slopes pooled within causes by ``START_PENALTIES`` claims' worth
(chosen on the validation claims) and kept >= 0 (the spec's direction). Trees
are flat beyond their last split: without the start the largest cities,
which carry most of the expected loss, shared one leaf's location, and the
booster's seed moved the portfolio's expected loss by up to 8%. The number of
trees is chosen on the ``SIGMA_FOLDS`` out-of-fold curves (the held-out
squared error summed over folds, by round), not on one validation split: a
few hundred validation claims of sigma 1.3 stopped the trees at 0-35 rounds
by chance. On the four seeded portfolios the folds choose 11, 7, 1 and 1
trees (eta 0.05): after the start, what else the features say about one
loss is mostly below what a thousand claims can show. On benchmarks/bench_quality.py's four
portfolios (seeds 7, 11, 13, 2026) the median pure premium error went from
0.170 / 0.179 / 0.171 / 0.179 (the booster alone) to 0.136 / 0.188 / 0.139 /
0.154 and the standard layer's per-policy error from 0.234 / 0.293 / 0.260 /
0.233 to 0.176 / 0.267 / 0.198 / 0.192. Tried and not kept: a budget slope
alone (0.128 / 0.192 / 0.144 / 0.143 and 0.181 / 0.281 / 0.211 / 0.186, the
cause mix further off), a ridge start on every input (0.157 / 0.183 / 0.157 /
0.153 and 0.214 / 0.264 / 0.215 / 0.192), the trees at depth 2 (no closer).
``base_score`` is 0: the start carries the level.

The large-estate slope: a large city loses disproportionately more (many
services interrupted at once; shared/reference/loss-figures.md: business
interruption averages $487k for an SME and $26M for a large firm, NetDiligence
2024), and a straight line in log
budget through claims that come mostly from large cities is too steep for the
small ones: on seed 7 of benchmarks/bench_quality.py the mean severity's log
error, weighted by each cause's share of the loss, was -0.12 to -0.14 in the six
smallest budget deciles and +0.04 in the largest. A second budget slope above
the knot (>= 0, so the effect stays monotone and may be convex only) lets the
line below it follow the bulk. With the frequency's unpenalised size
(models/scoring/frequency.py) it brought the standard layer's per-policy error
on the four portfolios from 0.184 / 0.186 / 0.203 / 0.189 to 0.170 / 0.178 /
0.178 / 0.190 and the pure premium's from 0.143 / 0.139 / 0.148 / 0.147 to
0.136 / 0.137 / 0.137 / 0.150. Knots at the claims' median and upper quartile
were tried too (with the frequency as it was: the layer error on seed 13 0.255
and 0.257 against 0.201 at this knot), and the validation claims could not
choose among them (they picked the quartile, the quartile, the median and no
knot on the four seeds, and the pure premium of the last went to 0.181).

``sigma`` per cause: the root mean squared out-of-fold residual of the
cause's training claims (the ``SIGMA_FOLDS`` fold boosters above, each cut
at the chosen number of trees), credibility-weighted
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

from dataclasses import dataclass, replace
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
#: Claims' worth of the pooled slopes in each cause's start slopes, tried on the validation claims.
START_PENALTIES = (1.0, 10.0, 100.0, 1000.0)
#: The start's size measures, each on log(1 + value): the budget (every cause's rating
#: base), personal records held (a breach's and a regulator's), OT controllers (an OT
#: disruption's). Each has direction + in models/spec/fields.py, so each slope is >= 0.
SIZE_FEATURES: tuple[str, ...] = ("annual_revenue_usd", "pii_records", "ot_device_count")
SIZE_COLUMNS = np.array([FEATURE_NAMES.index(name) for name in SIZE_FEATURES])
#: The start's knot: the log1p budget below which this share of training claims falls.
LARGE_ESTATE_QUANTILE = 0.9
#: The start's columns: each size measure, then the log1p budget above the knot.
START_COLUMNS: tuple[str, ...] = (*SIZE_FEATURES, "annual_revenue_usd above the knot")
CAUSE_COLUMNS: tuple[str, ...] = tuple(f"cause_{c}" for c in CLAIM_CAUSES)
SEVERITY_FEATURE_NAMES: tuple[str, ...] = FEATURE_NAMES + CAUSE_COLUMNS
#: A flat tail placeholder until training fits one: z_u = 8 leaves the lognormal.
NO_TAIL = SeverityTails(np.full(CAUSE_COUNT, 8.0), np.zeros(CAUSE_COUNT), np.ones(CAUSE_COUNT))


def start_columns(features: np.ndarray, knot: float) -> np.ndarray:
    """(rows, S + 1) the log1p of each size measure, then the log1p budget above ``knot``."""
    sizes = np.log1p(np.asarray(features[:, SIZE_COLUMNS], dtype=np.float64))
    return np.column_stack([sizes, np.maximum(sizes[:, 0] - knot, 0.0)])


@dataclass(frozen=True)
class SeverityStart:
    """Per cause ``level + slope @ (columns - center)`` (log USD), the trees' base margin.

    The columns (``START_COLUMNS``): log1p of each size measure, then
    max(log1p(budget) - knot, 0).
    """

    center: np.ndarray  # (S + 1,) mean of each column over the training claims
    level: np.ndarray  # (K,)
    slope: np.ndarray  # (K, S + 1), >= 0
    penalty: float  # claims' worth of the pooled slopes, chosen on the validation claims
    knot: float  # log1p budget (USD) where the large-estate slope starts

    def log_size(self, features: np.ndarray) -> np.ndarray:
        """(rows, S + 1) each column, centred."""
        return start_columns(features, self.knot) - self.center

    def claim_mu(self, features: np.ndarray, cause: np.ndarray) -> np.ndarray:
        """The start of each claim's own cause, (claims,)."""
        return self.level[cause] + np.einsum("ns,ns->n", self.slope[cause], self.log_size(features))

    def effects(self, features: np.ndarray) -> np.ndarray:
        """(rows, K, S) each size measure's part of each cause's location.

        The large-estate column's part is the budget's: it is the budget's
        effect above the knot.
        """
        terms = self._terms(features)
        sizes = terms[:, :, : len(SIZE_FEATURES)].copy()
        sizes[:, :, 0] += terms[:, :, -1]
        return sizes

    def mu(self, features: np.ndarray) -> np.ndarray:
        """(rows, K) every cause's start."""
        return self.level[np.newaxis, :] + self._terms(features).sum(axis=2)

    def _terms(self, features: np.ndarray) -> np.ndarray:
        """(rows, K, S + 1) each column's part of each cause's location."""
        return self.log_size(features)[:, np.newaxis, :] * self.slope[np.newaxis, :, :]


#: A start of zero: a booster that carries its own level (tests' hand-made models).
NO_START = SeverityStart(
    np.zeros(len(START_COLUMNS)),
    np.zeros(CAUSE_COUNT),
    np.zeros((CAUSE_COUNT, len(START_COLUMNS))),
    0.0,
    np.inf,
)

Claims = tuple[np.ndarray, np.ndarray, np.ndarray]  # claiming policy's features, loss_usd, cause


def _nonnegative_solve(gram: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """argmin b'Gb/2 - m'b over b >= 0 (G positive semi-definite, a few columns), exactly.

    The optimum is the unconstrained optimum on some set of free columns (the
    rest at 0): every set is tried (2^S, S = 4 start columns) and the best
    feasible one kept.
    """
    size = len(moment)
    best, best_value = np.zeros(size), 0.0  # all held at 0: the value 0
    for mask in range(1, 2**size):
        free = np.array([(mask >> j) & 1 for j in range(size)], dtype=bool)
        b = np.zeros(size)
        # lstsq, not solve: a size that never varies (no OT anywhere) leaves G singular
        b[free] = np.linalg.lstsq(gram[np.ix_(free, free)], moment[free], rcond=None)[0]
        value = 0.5 * b @ gram @ b - moment @ b
        if np.all(b >= 0.0) and value < best_value:
            best, best_value = b, value
    return best


def fit_start(train: Claims, valid: Claims) -> SeverityStart:
    """Least squares per cause on log loss, its slopes pulled to the pooled ones (module docstring).

    Per cause c: minimise sum (y - a_c - b_c @ u)^2 + (b_c - b_pooled)' W (b_c - b_pooled)
    over b_c >= 0, u the centred start columns (the knot at the
    LARGE_ESTATE_QUANTILE of the training claims' log1p budget), W the penalty
    times the variances of u, b_pooled the slopes within causes (each its own
    level); a cause without training claims gets the mean log loss and the
    pooled slopes.
    """
    (x_t, loss_t, cause_t), (x_v, loss_v, cause_v) = train, valid
    y_t, y_v = np.log(loss_t), np.log(loss_v)
    budget = np.log1p(np.asarray(x_t[:, SIZE_COLUMNS[0]], np.float64))
    knot = float(np.quantile(budget, LARGE_ESTATE_QUANTILE))
    sizes = start_columns(x_t, knot)
    center = sizes.mean(axis=0)
    u = sizes - center
    spread = np.diag(np.mean(u * u, axis=0))
    parts = []  # per cause: centred gram and moment of u, mean log loss, mean u
    for k in range(CAUSE_COUNT):
        mine = cause_t == k
        if not mine.any():
            none = np.zeros(len(center))
            parts.append((np.zeros_like(spread), none, float(y_t.mean()), none))
            continue
        u_k, y_k = u[mine], y_t[mine]
        mean_u, mean_y = u_k.mean(axis=0), float(y_k.mean())
        d = u_k - mean_u
        parts.append((d.T @ d, d.T @ (y_k - mean_y), mean_y, mean_u))
    # the pooled slopes: within each cause (its own level), summed over causes
    pooled = _nonnegative_solve(
        np.sum([p[0] for p in parts], axis=0), np.sum([p[1] for p in parts], axis=0)
    )
    best: tuple[float, SeverityStart] | None = None
    for claims_worth in START_PENALTIES:
        weight = claims_worth * spread
        slope = np.array(
            [_nonnegative_solve(g + weight, m + weight @ pooled) for g, m, _, _ in parts]
        )
        level = np.array(
            [mean_y - slope[k] @ mean_u for k, (_, _, mean_y, mean_u) in enumerate(parts)]
        )
        start = SeverityStart(center, level, slope, claims_worth, knot)
        error = float(np.sum((y_v - start.claim_mu(x_v, cause_v)) ** 2))
        if best is None or error < best[0]:
            best = (error, start)
    assert best is not None
    return best[1]


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
    start: SeverityStart = NO_START

    def raw_mu(self, features: np.ndarray) -> np.ndarray:
        """The booster's location (log USD) of each cause, before the balance shift, (rows, K)."""
        if features.ndim != 2 or features.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"feature matrix must have {len(FEATURE_NAMES)} columns")
        n = len(features)
        return self.raw_claim_mu(
            np.repeat(features, CAUSE_COUNT, axis=0), np.tile(np.arange(CAUSE_COUNT), n)
        ).reshape(n, CAUSE_COUNT)

    def raw_claim_mu(self, features: np.ndarray, cause: np.ndarray) -> np.ndarray:
        """The location of each claim's own cause (claims' policy features), (claims,)."""
        trees = group_margins((self.booster,), self.forest, with_cause(features, cause))[:, 0]
        return trees + self.start.claim_mu(features, cause)

    @cached_property
    def forest(self) -> Forest | None:
        """The location booster's trees for the compiled walk (models/scoring/tree_predictor.py)."""
        return try_compile((self.booster,))

    def tree_contributions(self, features: np.ndarray) -> np.ndarray:
        """(rows x K, features + K + 1) Saabas contributions of every cause's row, bias last (trees only)."""
        return group_contributions((self.booster,), self.forest, every_cause(features))[:, 0]

    def mu(self, features: np.ndarray) -> np.ndarray:
        """Lognormal body location (log USD) of one loss of each cause, (rows, K)."""
        return self.raw_mu(features) + self.mu_shift

    def with_shift(self, mu_shift: np.ndarray) -> SeverityModel:
        return replace(self, mu_shift=np.asarray(mu_shift, np.float64))

    def with_tails(self, tails: SeverityTails) -> SeverityModel:
        return replace(self, tails=tails)


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
    train: Claims,
    valid: Claims,
    params: BoosterParams,
    seed: int,
    trainer: BoosterTrainer = LOCAL_TRAINER,
) -> SeverityModel:
    """Fit on (features of the claiming policy, loss_usd, cause index): start, trees, sigmas.

    Raises InsufficientClaimsError when either split holds too few claims.
    The tail is NO_TAIL and the shift 0 until training sets them. ``trainer``
    fits the boosters (here, or on a cluster); the start, the number of trees
    and the sigmas are chosen here.
    """
    (x_train, loss_train, cause_train), (_, loss_valid, _) = train, valid
    if len(loss_train) < MIN_TRAINING_CLAIMS or len(loss_valid) < MIN_VALIDATION_CLAIMS:
        raise InsufficientClaimsError(
            f"too few claims to fit the severity model: {len(loss_train)} training and "
            f"{len(loss_valid)} validation claims; at least {MIN_TRAINING_CLAIMS} and "
            f"{MIN_VALIDATION_CLAIMS} are needed"
        )
    y_train = _log_losses(loss_train, "training")
    _log_losses(loss_valid, "validation")
    start = fit_start(train, valid)
    rows = with_cause(x_train, cause_train)
    margin = start.claim_mu(x_train, cause_train)
    xgb_params = severity_xgb_params(params, seed, 0.0)
    folds = _Folds(trainer, xgb_params, params, rows, y_train, margin, seed)
    rounds = folds.best_rounds()
    dtrain = trainer.matrix(rows, y_train, margin, list(SEVERITY_FEATURE_NAMES))
    booster = trainer.train_rounds(xgb_params, dtrain, rounds)
    sigma = cause_sigmas(y_train - folds.out_of_fold(rounds), cause_train, None)
    return SeverityModel(booster, sigma, np.zeros(CAUSE_COUNT), NO_TAIL, rounds - 1, start)


class _Folds:
    """The training claims in ``SIGMA_FOLDS`` seeded folds, a booster fitted without each.

    Each fold's booster is early-stopped on its own held-out claims; the
    number of trees is the minimum of their squared errors summed by round
    (up to the shortest curve: every curve runs its patience past its own
    best), and each claim's out-of-fold location is its fold's booster cut at
    that number.
    """

    def __init__(
        self,
        trainer: BoosterTrainer,
        xgb_params: dict,
        params: BoosterParams,
        rows: np.ndarray,
        y: np.ndarray,
        margin: np.ndarray,
        seed: int,
    ) -> None:
        names = list(SEVERITY_FEATURE_NAMES)
        self.fold = np.empty(len(y), dtype=np.int64)
        self.fold[np.random.default_rng(seed).permutation(len(y))] = np.arange(len(y)) % SIGMA_FOLDS
        self.rows, self.margin = rows, margin
        self.boosters: list[xgb.Booster] = []
        self.squared_errors: list[np.ndarray] = []
        for k in range(SIGMA_FOLDS):
            fit, held = self.fold != k, self.fold == k
            dfit = trainer.matrix(rows[fit], y[fit], margin[fit], names)
            dheld = trainer.matrix(rows[held], y[held], margin[held], names)
            booster, rmse = trainer.train_curve(xgb_params, dfit, dheld, params)
            self.boosters.append(booster)
            self.squared_errors.append(rmse**2 * int(held.sum()))

    def best_rounds(self) -> int:
        shortest = min(len(curve) for curve in self.squared_errors)
        return int(np.argmin(sum(curve[:shortest] for curve in self.squared_errors))) + 1

    def out_of_fold(self, rounds: int) -> np.ndarray:
        out = np.empty(len(self.margin))
        for k, booster in enumerate(self.boosters):
            held = self.fold == k
            trees = group_margins((booster[:rounds],), None, self.rows[held])[:, 0]
            out[held] = trees + self.margin[held]
        return out
