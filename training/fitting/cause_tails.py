"""The severity tail of each cause: its own GPD where its claims carry one, else the pool's.

Rule (documented in the report): every training claim's standardised log
residual ``z = (log x - mu) / sigma_cause`` goes into one pooled fit
(training/fitting/tail.py: threshold at the top ``DEFAULT_SHARE`` of z, at
least ``DEFAULT_MIN_EXCEEDANCES`` claims above, GPD on the relative excess).
A cause with at least ``OWN_TAIL_CLAIMS`` training claims (enough for the
minimum exceedances at the default share) gets a fit of its own claims; the
others use the pooled fit.

What is pooled is the standardised log excess ``w = z - z_u`` of the
exceedances, the same scale-free footing the body already assumes (one
distribution of z for every cause). A pooled cause's tail is the GPD fitted to
those excesses seen on its own scale, relative excess ``expm1(sigma_cause w)``:
a wider body gives a proportionally wider tail near the threshold and also a
heavier one further out. The pool used to be one GPD on ``expm1(sigma w) /
sigma`` with the cause's scale ``b x sigma_cause`` and one shape for all, which
is right only for small ``sigma w``: a lognormal's relative excess above its
87th percentile fits xi 0.32, 0.43, 0.52 at sigma 1.1, 1.35, 1.55 (b / sigma
0.64 at each), so one shape gave ransomware (sigma about 1.5) the tail of the
average cause, and every cause's mean excess the pooled sigma's.

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

    def on_scale(self, sigma: float) -> GpdTail:
        """The GPD of this fit's exceedances as the relative excess of a body of scale ``sigma``.

        Its ``b`` is a multiple of the threshold (not per unit of sigma).
        """
        z_u = self.tail.z_u
        return fit_gpd(np.expm1(sigma * (self.z[self.z > z_u] - z_u)), z_u=z_u)


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
    by_cause: dict[str, tuple[float, float, float]] = {}  # z_u, xi, b (multiple of t)
    for f in fits[1:] if pooled_causes else fits:
        # an own fit has one sigma: b per unit of sigma times it is the relative excess's b
        (c,) = f.causes
        by_cause[c] = (f.tail.z_u, f.tail.xi, f.tail.b * cause_sigma[CLAIM_CAUSES.index(c)])
    on_scale: dict[float, GpdTail] = {}  # causes of one sigma share a fit
    for c in pooled_causes:
        s = float(cause_sigma[CLAIM_CAUSES.index(c)])
        if s not in on_scale:
            on_scale[s] = fits[0].on_scale(s)
        by_cause[c] = (on_scale[s].z_u, on_scale[s].xi, on_scale[s].b)
    tails = SeverityTails(*(np.array([by_cause[c][j] for c in CLAIM_CAUSES]) for j in range(3)))
    return tails, fits
