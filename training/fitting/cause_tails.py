"""The severity tail of each cause: its own GPD where its claims carry one, else the pool's.

Rule (documented in the report): every training claim's standardised log
residual ``z = (log x - mu) / sigma_cause`` goes into one pooled fit
(training/fitting/tail.py: threshold at the top ``DEFAULT_SHARE`` of z, at
least ``DEFAULT_MIN_EXCEEDANCES`` claims above, GPD on the relative excess).
A cause with at least ``OWN_TAIL_CLAIMS`` training claims (enough for the
minimum exceedances at the default share) gets a fit of its own claims; the
others use the pooled fit.

The pool is fitted on the relative excesses divided by each claim's sigma,
and a cause's scale is then ``b x sigma_cause``: just above the threshold the
relative excess is about ``sigma (z - z_u)``, so a cause with a wider body has
a proportionally wider tail. Unscaled, ransomware (sigma about 1.5) took the
tail of business email compromise (about 1.1) and the $4M xs $1M layer of the
largest cities came out at 0.5-0.9 of the truth on the seeded portfolios.

On a book of 100,000 policies (about a thousand
training claims) that is the pooled tail for most causes: a GPD from a few
dozen exceedances would move a high layer's price by its noise alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.pricing.cause_losses import SeverityTails
from models.spec.contract import CLAIM_CAUSES
from training.fitting.tail import (
    DEFAULT_MIN_EXCEEDANCES,
    DEFAULT_SHARE,
    GpdTail,
    choose_threshold,
    fit_gpd,
)

OWN_TAIL_CLAIMS = round(DEFAULT_MIN_EXCEEDANCES / DEFAULT_SHARE)
POOLED = "all causes"


@dataclass(frozen=True)
class FittedTail:
    """One GPD fit, what it covers, and its claims' relative excesses (for the report)."""

    label: str  # a cause, or POOLED
    causes: tuple[str, ...]  # the causes priced with it
    tail: GpdTail  # of the relative excess per unit of sigma: b is per unit of sigma
    relative_excess: np.ndarray  # per unit of sigma
    z: np.ndarray  # the standardised log residuals it was fitted from (mean-excess plot)


def _fit(
    label: str, causes: tuple[str, ...], loss: np.ndarray, mu: np.ndarray, sigma: np.ndarray
) -> FittedTail:
    z = (np.log(loss) - mu) / sigma
    z_u, _ = choose_threshold(z)
    above = z > z_u
    excess = np.expm1(sigma[above] * (z[above] - z_u)) / sigma[above]
    return FittedTail(label, causes, fit_gpd(excess, z_u=z_u), excess, z)


def fit_cause_tails(
    loss_usd: np.ndarray, mu: np.ndarray, cause_sigma: np.ndarray, cause: np.ndarray
) -> tuple[SeverityTails, list[FittedTail]]:
    """Each cause's tail from the training claims: loss (USD), own-cause mu, cause index.

    ``mu`` is per claim (its cause's body), ``cause_sigma`` the body's scale
    of each cause, (K,): a cause without a claim still gets its own b. Returns
    the tails in CLAIM_CAUSES order and the fits behind them, pooled first.
    """
    sigma = cause_sigma[cause]
    counts = np.bincount(cause, minlength=len(CLAIM_CAUSES))
    own = tuple(c for k, c in enumerate(CLAIM_CAUSES) if counts[k] >= OWN_TAIL_CLAIMS)
    pooled_causes = tuple(c for c in CLAIM_CAUSES if c not in own)
    fits = []
    if pooled_causes:
        fits.append(_fit(POOLED, pooled_causes, loss_usd, mu, sigma))
    for name in own:
        rows = cause == CLAIM_CAUSES.index(name)
        fits.append(_fit(name, (name,), loss_usd[rows], mu[rows], sigma[rows]))
    by_cause = {c: f.tail for f in fits for c in f.causes}
    tails = SeverityTails(
        np.array([by_cause[c].z_u for c in CLAIM_CAUSES]),
        np.array([by_cause[c].xi for c in CLAIM_CAUSES]),
        np.array([by_cause[c].b for c in CLAIM_CAUSES]) * cause_sigma,
    )
    return tails, fits
