"""Ground truth of the synthetic portfolio: reading it and computing with it.

The truth file (``truth.csv``, written by ``python -m training synth``) holds,
per policy, the annual claim rate of each cause and the lognormal parameters
of one ground-up loss of that cause. One loss of a policy is the mixture of
the per-cause lognormals weighted by the cause rates. Training never reads
this file; evaluation uses it to say how close a model came to the truth.

Every function is vectorised over policies (numpy/scipy, no Python loop over
rows). Money is USD, rates are claims per policy-year.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from models.pricing.lognormal import layer_expected_loss, lognormal_lev, lognormal_mean
from models.spec.contract import CLAIM_CAUSES  # CONTRACT §2; the truth file keeps its order
from training.errors import TrainingInputError

RATE_COLUMNS = tuple(f"rate_{c}" for c in CLAIM_CAUSES)
MU_COLUMNS = tuple(f"sev_mu_{c}" for c in CLAIM_CAUSES)
SIGMA_COLUMNS = tuple(f"sev_sigma_{c}" for c in CLAIM_CAUSES)
TRUTH_COLUMNS: tuple[str, ...] = (
    "policy_id",
    "claim_rate_per_year",
    *(col for c in CLAIM_CAUSES for col in (f"rate_{c}", f"sev_mu_{c}", f"sev_sigma_{c}")),
)


def load_truth(path: str | Path) -> pd.DataFrame:
    """Read a truth file; a missing column or a non-numeric value is a clear error."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype={"policy_id": str})
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = type(exc).__name__ if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise TrainingInputError(
            f"{path}: cannot be read as a truth CSV (UTF-8 text): {reason[:200]}"
        ) from exc
    missing = [c for c in TRUTH_COLUMNS if c not in frame.columns]
    if missing:
        raise TrainingInputError(f"{path}: missing column(s) {', '.join(missing)}")
    repeated = np.flatnonzero(frame["policy_id"].duplicated().to_numpy())
    if repeated.size:
        row = repeated[0]
        raise TrainingInputError(
            f"{path}: row {row + 2}, column policy_id: {frame['policy_id'].iloc[row]!r} "
            "appears more than once"
        )
    for col in TRUTH_COLUMNS[1:]:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise TrainingInputError(
                f"{path}: row {bad[0] + 2}, column {col}: not a number ({frame[col].iloc[bad[0]]!r})"
            )
        frame[col] = values.astype(np.float64)
    return frame


def _arrays(truth: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rates, mu, sigma), each policies x causes."""
    rates = truth[list(RATE_COLUMNS)].to_numpy(dtype=np.float64)
    mu = truth[list(MU_COLUMNS)].to_numpy(dtype=np.float64)
    sigma = truth[list(SIGMA_COLUMNS)].to_numpy(dtype=np.float64)
    return rates, mu, sigma


def _cause_weights(rates: np.ndarray) -> np.ndarray:
    total = rates.sum(axis=1, keepdims=True)
    return np.divide(rates, total, out=np.zeros_like(rates), where=total > 0)


def truth_lev(truth: pd.DataFrame, u: np.ndarray | float) -> np.ndarray:
    """Per-policy limited expected value of one ground-up loss (cause mixture), USD."""
    rates, mu, sigma = _arrays(truth)
    u_col = np.asarray(u, dtype=np.float64).reshape(-1, 1) if np.ndim(u) else u
    return np.asarray((_cause_weights(rates) * lognormal_lev(u_col, mu, sigma)).sum(axis=1))


def truth_mean_severity(truth: pd.DataFrame) -> np.ndarray:
    """Per-policy mean of one ground-up loss (cause mixture), USD."""
    rates, mu, sigma = _arrays(truth)
    return np.asarray((_cause_weights(rates) * lognormal_mean(mu, sigma)).sum(axis=1))


def truth_expected_count(truth: pd.DataFrame, exposure_years: np.ndarray | float) -> np.ndarray:
    """Expected number of claims: annual rate x exposure (years)."""
    return truth["claim_rate_per_year"].to_numpy(dtype=np.float64) * np.asarray(exposure_years)


def truth_cause_expected_counts(
    truth: pd.DataFrame, exposure_years: np.ndarray | float
) -> np.ndarray:
    """Expected claims of each cause, policies x causes: rate_<cause> x exposure (years)."""
    rates, _, _ = _arrays(truth)
    return rates * np.asarray(exposure_years, dtype=np.float64).reshape(-1, 1)


def truth_annual_loss_by_cause(truth: pd.DataFrame) -> np.ndarray:
    """Expected ground-up loss per year of each cause (USD), policies x causes.

    rate_c x E[X_c] = rate_c exp(mu_c + sigma_c^2 / 2): the mix of a city's
    expected loss by cause, which a per-cause model should reproduce.
    """
    rates, mu, sigma = _arrays(truth)
    return rates * lognormal_mean(mu, sigma)


def truth_annual_layer_loss(
    truth: pd.DataFrame, retention: np.ndarray | float, limit: np.ndarray | float
) -> np.ndarray:
    """Expected annual loss in the per-claim layer ``limit`` xs ``retention`` (USD per policy).

    sum_c rate_c (LEV_c(d + L) - LEV_c(d)) over the causes' own lognormals:
    the layer's pure premium, ignoring the aggregate limit. Equal to
    claim_rate_per_year x ``truth_layer_expected_loss`` (the mixture's layer).
    """
    rates, mu, sigma = _arrays(truth)
    d = np.asarray(retention, dtype=np.float64)
    cap = np.asarray(limit, dtype=np.float64)
    d_col = d.reshape(-1, 1) if d.ndim else d
    cap_col = cap.reshape(-1, 1) if cap.ndim else cap
    return np.asarray((rates * layer_expected_loss(d_col, cap_col, mu, sigma)).sum(axis=1))


def truth_layer_expected_loss(
    truth: pd.DataFrame, retention: np.ndarray | float, limit: np.ndarray | float
) -> np.ndarray:
    """Expected loss of one claim in the layer ``limit`` xs ``retention`` (USD).

    E[min(max(X - d, 0), L)] = LEV(d + L) - LEV(d), with X the policy's
    cause mixture. Multiply by the expected count for the layer's pure premium
    (ignoring the aggregate limit).
    """
    d = np.asarray(retention, dtype=np.float64)
    top = d + np.asarray(limit, dtype=np.float64)
    return truth_lev(truth, top) - truth_lev(truth, d)


def truth_severity_cdf(truth: pd.DataFrame, x: np.ndarray | float) -> np.ndarray:
    """Per-policy P(one ground-up loss <= x), x in USD (scalar or one per policy)."""
    rates, mu, sigma = _arrays(truth)
    x_col = np.asarray(x, dtype=np.float64).reshape(-1, 1) if np.ndim(x) else x
    with np.errstate(divide="ignore"):
        z = (np.log(x_col) - mu) / sigma
    return np.asarray((_cause_weights(rates) * ndtr(z)).sum(axis=1))


def truth_severity_quantile(truth: pd.DataFrame, q: float, iterations: int = 60) -> np.ndarray:
    """Per-policy q-quantile of one ground-up loss (USD), by bisection in log space."""
    _, mu, sigma = _arrays(truth)
    lo = (mu - 9.0 * sigma).min(axis=1)
    hi = (mu + 9.0 * sigma).max(axis=1)
    for _ in range(iterations):  # a fixed number of halvings: 60 reach float precision
        mid = 0.5 * (lo + hi)
        below = truth_severity_cdf(truth, np.exp(mid)) < q
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return np.asarray(np.exp(0.5 * (lo + hi)))


def truth_ilf_curve(
    truth: pd.DataFrame,
    limits: Sequence[float] | np.ndarray,
    base: float = 1e6,
    weights: np.ndarray | None = None,
) -> pd.Series:
    """Increased-limits factors of the portfolio: E[losses capped at L] / same at ``base``.

    The portfolio's claim-severity distribution is the mixture over policies
    weighted by expected claims (claim rate x ``weights``, default exposure of
    one year each), so ILF(L) = sum_i rate_i LEV_i(L) / sum_i rate_i LEV_i(base).
    Index: the limits (USD).
    """
    rate = truth["claim_rate_per_year"].to_numpy(dtype=np.float64)
    claims = rate if weights is None else rate * np.asarray(weights, dtype=np.float64)
    base_loss = float(claims @ truth_lev(truth, base))
    factors = [float(claims @ truth_lev(truth, float(limit))) / base_loss for limit in limits]
    return pd.Series(factors, index=pd.Index(list(limits), name="limit_usd"), name="ilf")


def truth_portfolio_quantile(
    truth: pd.DataFrame, q: float, weights: np.ndarray | None = None, iterations: int = 50
) -> float:
    """q-quantile (USD) of one claim drawn from the whole portfolio.

    The portfolio's claim-severity distribution is the mixture over policies
    weighted by expected claims (rate x ``weights``); bisection in log space.
    """
    rate = truth["claim_rate_per_year"].to_numpy(dtype=np.float64)
    claims = rate if weights is None else rate * np.asarray(weights, dtype=np.float64)
    share = claims / claims.sum()
    lo, hi = 0.0, 30.0  # ln USD: $1 to $10^13
    for _ in range(iterations):  # 50 halvings of 30 reach ~1e-14 in ln USD
        mid = 0.5 * (lo + hi)
        if float(share @ truth_severity_cdf(truth, np.exp(mid))) < q:
            lo = mid
        else:
            hi = mid
    return float(np.exp(0.5 * (lo + hi)))
