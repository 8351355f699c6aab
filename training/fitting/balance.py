"""Balance corrections per cause: predicted totals equal observed totals on the training data.

A boosted model does not reproduce the observed totals exactly (sklearn
#22435, xgboost #2702), so after fitting, for each claim cause c:

- Claims: every rate of the cause is multiplied by
  observed claims of c / predicted claims of c on the training policies
  (the signed start and the early-stopped trees do not reproduce it).
- Capped losses: cyber losses are heavy-tailed and a cause's observed total
  is driven by a few very large claims, so moving the whole distribution to
  match it would misprice every working layer. As actuaries do with large
  losses, the capped losses are balanced and the tail is left to the GPD:

      sum_{claims j of c} E[min(X_j, c_c)] = sum_{claims j of c} min(x_j, c_c)   (shift of c)

  with c_c the ``CAP_QUANTILE`` of the cause's training losses (USD) and X_j
  the spliced severity (lognormal body, GPD tail) at the location of claim
  j's policy. Over the claims, not over every policy weighted by its
  expected count: on the synthetic portfolios the frequency model spreads
  ransomware claims over smaller cities than the ones that claim, and a
  count-weighted balance moved that error into every city's severity (a
  shift of +0.87 where the claims' own residual says +0.19). The excess over
  c_c, observed / predicted on the same claims, is reported as the cause's
  ``large_loss_ratio`` (a check of the tail, not applied). A cause with no
  training claim is not moved.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from models.pricing.cause_losses import SeverityTails
from models.pricing.spliced import spliced_lev, spliced_mean
from models.spec.contract import CLAIM_CAUSES

CAP_QUANTILE = 0.90
SHIFT_BRACKET = 10.0  # log USD: a factor of e^10 either way


def cause_factors(observed: np.ndarray, expected_counts: np.ndarray) -> np.ndarray:
    """Per cause, observed / predicted training claims, (K,).

    1 for a cause with no training claim (nothing to balance to: a factor of
    0 would make its rate 0 and its log infinite) or nothing predicted.
    """
    predicted = expected_counts.sum(axis=0)
    usable = (predicted > 0) & (observed > 0)
    return np.divide(observed, predicted, out=np.ones_like(predicted), where=usable)


def capped_balance(
    claim_mu: np.ndarray,
    sigma: np.ndarray,
    tails: SeverityTails,
    loss_usd: np.ndarray,
    cause: np.ndarray,
) -> dict[str, list[float]]:
    """Per cause, the location shift that balances the capped training losses; the report.

    ``claim_mu`` is each training claim's unshifted location of its own cause,
    ``loss_usd`` and ``cause`` the claims. Any spliced severity (the XGBoost
    model, the GLM baseline) is balanced by this.
    """
    out: dict[str, list[float]] = {
        "cap_usd": [], "mu_shift": [], "observed_loss_usd": [], "large_loss_ratio": []
    }  # fmt: skip
    for k in range(len(CLAIM_CAUSES)):
        losses, m = loss_usd[cause == k], claim_mu[cause == k]
        shape = (sigma[k], tails.z_u[k], tails.xi[k], tails.b[k])
        if losses.size == 0:
            for key, value in (("cap_usd", 0.0), ("mu_shift", 0.0), ("large_loss_ratio", 1.0)):
                out[key].append(value)
            out["observed_loss_usd"].append(0.0)
            continue
        cap = float(np.quantile(losses, CAP_QUANTILE))
        body = float(np.sum(np.minimum(losses, cap)))

        def gap(shift: float, m=m, shape=shape, cap=cap, body=body) -> float:
            return float(np.sum(spliced_lev(cap, m + shift, *shape))) - body

        # the capped mean rises strictly with the location, so the root is unique
        shift = float(brentq(gap, -SHIFT_BRACKET, SHIFT_BRACKET, xtol=1e-9))
        predicted_excess = float(np.sum(spliced_mean(m + shift, *shape))) - body
        observed_excess = float(np.sum(losses)) - body
        out["cap_usd"].append(cap)
        out["mu_shift"].append(shift)
        out["observed_loss_usd"].append(float(np.sum(losses)))
        out["large_loss_ratio"].append(observed_excess / predicted_excess)
    return out
