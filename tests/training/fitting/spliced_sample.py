"""Seeded draws from a known spliced severity, sampled without the code under test.

With probability ``1 - Phi(z_u)`` a loss is ``t (1 + Y)``, ``t = exp(mu + sigma z_u)``,
``Y`` drawn by scipy's ``genpareto(xi, scale=b)``; otherwise it is the lognormal
body below t, ``exp(mu + sigma Phi^-1(U Phi(z_u)))``. That is the model of
models/pricing/spliced.py by its definition, not by its functions.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import genpareto, norm


def draw_spliced(
    mu: np.ndarray,
    sigma: np.ndarray,
    z_u: np.ndarray,
    xi: np.ndarray,
    b: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """One loss (USD) per element of the broadcast parameters."""
    mu, sigma, z_u, xi, b = np.broadcast_arrays(
        *(np.asarray(a, float) for a in (mu, sigma, z_u, xi, b))
    )
    u = rng.random(mu.shape)
    body = norm.cdf(z_u)
    tail = u >= body
    z = norm.ppf(np.where(tail, 0.5, u))  # below t: Phi(z) = U, U < Phi(z_u)
    y = genpareto(c=xi, scale=b).rvs(size=mu.shape, random_state=rng)
    t = np.exp(mu + sigma * z_u)
    return np.where(tail, t * (1.0 + y), np.exp(mu + sigma * z))
