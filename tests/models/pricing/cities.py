"""Cities for the pricing tests: per-cause loss models built from named numbers.

``one_cause`` puts every claim on one cause with a threshold so far out that
the spliced severity is the lognormal (z_u = 8: P(X > t) = Phi(-8) = 6e-16,
and with sigma <= 2 the body's share of the mean past t, Phi(sigma - 8) <= 1e-9,
is what the GPD replaces), so the old single-lognormal prices are the oracle.
``mid_size_city`` has all seven causes with real tails.
"""

from __future__ import annotations

import numpy as np

from models.pricing.cause_losses import CAUSE_COUNT, CauseLosses, SeverityTails
from models.pricing.covered_loss import CoveredLoss
from models.spec.contract import CLAIM_CAUSES

K = CAUSE_COUNT
LOGNORMAL_Z_U = 8.0
NEGLIGIBLE_TAILS = SeverityTails(z_u=np.full(K, LOGNORMAL_Z_U), xi=np.zeros(K), b=np.ones(K))

# A mid-size city (0.3 ground-up claims a year in all): rate, median loss (USD),
# body sigma, and a tail past the 90th percentile of the body (z_u = 1.2816).
MID_SIZE_CITY = {
    # cause: (claims per year, median USD, sigma, xi, b)
    "ransomware": (0.06, 600e3, 1.8, 0.35, 0.9),
    "data_breach": (0.05, 250e3, 1.6, 0.30, 0.8),
    "business_email_compromise": (0.08, 60e3, 1.2, 0.15, 0.5),
    "ot_disruption": (0.01, 300e3, 1.7, 0.30, 0.8),
    "vendor_outage": (0.02, 150e3, 1.5, 0.20, 0.6),
    "privacy_regulatory": (0.01, 200e3, 1.6, 0.25, 0.7),
    "other": (0.07, 150e3, 1.7, 0.30, 0.8),
}


def one_cause(rate: float, mu: float, sigma: float, cause: str = "data_breach") -> CauseLosses:
    """Every claim of cause ``cause``, lognormal(mu, sigma) with a negligible tail.

    The other causes have rate 0 and the same (unused) severity.
    """
    rates = np.zeros(K)
    rates[CLAIM_CAUSES.index(cause)] = rate
    return CauseLosses(rates, np.full(K, mu), np.full(K, sigma), NEGLIGIBLE_TAILS)


def mid_size_city(rate_scale: float = 1.0, mu_shift: float = 0.0) -> CauseLosses:
    """:data:`MID_SIZE_CITY`, its rates times ``rate_scale`` and medians times exp(``mu_shift``)."""
    rows = [MID_SIZE_CITY[c] for c in CLAIM_CAUSES]
    rate, median, sigma, xi, b = (np.array(column) for column in zip(*rows, strict=True))
    tails = SeverityTails(z_u=np.full(K, 1.2816), xi=xi, b=b)
    return CauseLosses(rate * rate_scale, np.log(median) + mu_shift, sigma, tails)


def lognormal_covered(
    mu: float,
    sigma: float,
    other_share: float = 1.0,
    fines_share: float = 0.0,
    fines_cap_usd: float | None = None,
) -> CoveredLoss:
    """The fixed-split covered loss of one lognormal: Z = o X + f min(X, cap / f)."""
    shares = {"breach_response": np.full(K, other_share)}
    if fines_share > 0:
        shares["regulatory_fines"] = np.full(K, fines_share)
    return CoveredLoss(one_cause(1.0, mu, sigma), shares, fines_cap_usd)
