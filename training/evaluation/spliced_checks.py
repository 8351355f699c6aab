"""How well the spliced severity of each claim's own cause explains the holdout losses.

A claim of cause c made by policy i is scored under the spliced loss of that
cause: lognormal body (mu[i, c], sigma[c]) with the GPD tail of cause c
(models/pricing/spliced.py). Two checks:

- the negative log-likelihood per claim, from ``spliced_log_density``. The
  pricing module has the survival but no density (pricing never needs one),
  so the density is written here, for evaluation alone;
- ``tail_check``: above high empirical quantiles of the holdout losses, the
  observed number of claims against the sum of each claim's own P(X > u). A
  ratio near 1 at the 99% quantile says the tail carries the right weight.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr

from models.pricing.cause_losses import CauseLosses
from models.pricing.spliced import log1p_ratio, spliced_survival

FloatArray = npt.NDArray[np.float64]
TAIL_QUANTILES = (0.5, 0.75, 0.9, 0.95, 0.99, 0.995)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def spliced_log_density(
    x: npt.ArrayLike,
    mu: npt.ArrayLike,
    sigma: npt.ArrayLike,
    z_u: npt.ArrayLike,
    xi: npt.ArrayLike,
    b: npt.ArrayLike,
) -> FloatArray:
    """Natural log of the density of the spliced loss at x > 0 USD (-inf past a finite end).

    At or below t = exp(mu + sigma z_u): the lognormal's density. Above it,
    X = t (1 + Y) with P(X > t) = p_u and Y ~ GPD(xi, b), so
    f(x) = p_u / t * (1 / b) (1 + xi y / b) ** (-1 / xi - 1), y = x / t - 1, and
    (1 / xi) log1p(a) is written (y / b) log1p(a) / a, a = xi y / b, whose
    limit at xi = 0 is the exponential's y / b. Parameters as in
    models.pricing.spliced.spliced_survival; they broadcast against x.
    """
    ln_x = np.log(np.asarray(x, dtype=np.float64))
    m = np.asarray(mu, dtype=np.float64)
    s = np.asarray(sigma, dtype=np.float64)
    z = np.asarray(z_u, dtype=np.float64)
    shape = np.asarray(xi, dtype=np.float64)
    scale = np.asarray(b, dtype=np.float64)
    standard = (ln_x - m) / s
    body = -ln_x - np.log(s) - _HALF_LOG_2PI - 0.5 * standard * standard
    ln_t = m + s * z
    # y = x / t - 1 as expm1 of the log ratio: exact just above the threshold
    y = np.expm1(np.maximum(ln_x - ln_t, 0.0))
    a = shape * y / scale
    inside = a > -1.0
    a_safe = np.where(inside, a, 0.0)
    tail = (
        log_ndtr(-z) - ln_t - np.log(scale) - np.log1p(a_safe) - (y / scale) * log1p_ratio(a_safe)
    )
    return np.asarray(np.where(standard <= z, body, np.where(inside, tail, -np.inf)))


def claim_parameters(
    losses: CauseLosses, owner: np.ndarray, cause: np.ndarray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """(mu, sigma, z_u, xi, b) of each claim: its owner's location for its own cause."""
    t = losses.tails
    return losses.mu[owner, cause], losses.sigma[cause], t.z_u[cause], t.xi[cause], t.b[cause]


def severity_nll_per_claim(
    loss_usd: np.ndarray, losses: CauseLosses, owner: np.ndarray, cause: np.ndarray
) -> float:
    """Mean negative log-likelihood of the claims under their own cause's spliced loss."""
    return float(-np.mean(spliced_log_density(loss_usd, *claim_parameters(losses, owner, cause))))


def tail_check(
    loss_usd: np.ndarray,
    losses: CauseLosses,
    owner: np.ndarray,
    cause: np.ndarray,
    quantiles: tuple[float, ...] = TAIL_QUANTILES,
) -> list[dict[str, float]]:
    """Fitted vs observed claims above the holdout losses' empirical quantiles.

    Fitted: sum over claims of P(X_j > u) under claim j's own spliced loss.
    """
    amounts = np.asarray(loss_usd, dtype=np.float64)
    params = claim_parameters(losses, owner, cause)
    rows = []
    for q in quantiles:
        threshold = float(np.quantile(amounts, q))
        observed = float(np.sum(amounts > threshold))
        fitted = float(np.sum(spliced_survival(threshold, *params)))
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
