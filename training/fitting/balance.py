"""Balance corrections: predicted totals equal observed totals on the training data.

A boosted model does not reproduce the observed totals exactly (sklearn
#22435, xgboost #2702), so after fitting:

- Frequency: every claim rate is multiplied by observed claims / predicted
  claims on the training policies.
- Severity: cyber losses are heavy-tailed and the observed total is driven
  by a few very large claims that a lognormal fitted to log losses cannot
  reproduce together with the body; moving the whole distribution to match
  the total would overprice every working layer. So, as actuaries do with
  large losses, the body is balanced and the excess is loaded:

      sum_i n_i E[min(X_i, c)] = sum_claims min(x, c)       (location shift)
      large_loss_factor = sum_claims max(x - c, 0) / sum_i n_i E[max(X_i - c, 0)]

  with c the 90th percentile of the training losses (USD) and n_i each
  training policy's balanced expected claim count. Predicted losses capped at
  c plus large_loss_factor x the predicted excess over c equal the observed
  total exactly. The factor is reported (metadata ``balance``) for pricing
  to load layers above c; the lognormal itself is the body-balanced one.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from models.pricing.lognormal import lognormal_lev, lognormal_mean
from models.scoring.severity import SeverityModel

BODY_QUANTILE = 0.90
SHIFT_BRACKET = 10.0  # log USD: a factor of e^10 either way


def frequency_factor(observed_claims: float, predicted_claims: np.ndarray) -> float:
    """Observed / predicted claims: the multiplier of every claim rate."""
    return float(observed_claims / np.sum(predicted_claims))


def body_balance(
    expected_counts: np.ndarray, mu: np.ndarray, sigma: float, losses: np.ndarray
) -> dict[str, float]:
    """The location shift that balances the observed body of ``losses`` (USD); the excess load.

    ``expected_counts`` and ``mu`` are per training policy (balanced counts,
    unshifted location); ``losses`` are the training claims. Any lognormal
    severity (the XGBoost model, the GLM baseline) is balanced by this.
    """
    total = float(np.sum(losses))
    cap = float(np.quantile(losses, BODY_QUANTILE))
    body = float(np.sum(np.minimum(losses, cap)))
    mean_before = float(np.sum(expected_counts * lognormal_mean(mu, sigma)))

    def body_gap(shift: float) -> float:
        return float(np.sum(expected_counts * lognormal_lev(cap, mu + shift, sigma))) - body

    # the capped mean rises strictly with the location, so the root is unique
    shift = float(brentq(body_gap, -SHIFT_BRACKET, SHIFT_BRACKET, xtol=1e-9))
    mean_after = float(np.sum(expected_counts * lognormal_mean(mu + shift, sigma)))
    excess = mean_after - body
    return {
        "severity_factor": total / mean_before,
        "body_cap_usd": cap,
        "body_mu_shift": shift,
        "large_loss_factor": (total - body) / excess,
    }


def balance_severity(
    severity: SeverityModel, expected_counts: np.ndarray, mu: np.ndarray, losses: np.ndarray
) -> tuple[SeverityModel, dict[str, float]]:
    """``severity`` shifted to the observed body of ``losses`` (see body_balance); the report."""
    report = body_balance(expected_counts, mu, severity.sigma, losses)
    shift = report["body_mu_shift"]
    return SeverityModel(severity.booster, severity.sigma, shift, severity.best_iteration), report
