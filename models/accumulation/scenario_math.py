"""Closed forms behind the shipped catalog's numbers (accumulation.md §2, §7).

A catalog event carries plain numbers (a share of limit, a hit probability)
so the engine stays a table lookup; these helpers say where two of those
numbers come from, and the tests hold the shipped catalog to them.

* Business interruption after a waiting period w pays for the hours beyond
  w of an outage of duration D ~ lognormal(ln median, sigma):

      E[(D - w)+] = e^(mu + sigma^2/2) Phi(d1) - w Phi(d2),
      d1 = (mu + sigma^2 - ln w) / sigma,   d2 = d1 - sigma.

* A contagious strain reaches the final size z of an SIR epidemic,
  z = 1 - exp(-R0 z) (no outbreak, z = 0, when R0 <= 1).
"""

from __future__ import annotations

import math

from scipy.optimize import brentq
from scipy.special import ndtr


def expected_excess_duration(median: float, sigma: float, waiting: float) -> float:
    """E[(D - w)+] in the unit of ``median`` for D ~ lognormal(ln median, sigma).

    The outage hours a policy pays for once its BI waiting period is used up:
    a loss share per outage is (share of limit per hour) x this.
    """
    if median <= 0 or sigma <= 0 or waiting < 0:
        raise ValueError("median and sigma must be > 0 and waiting >= 0")
    mu = math.log(median)
    mean = math.exp(mu + 0.5 * sigma * sigma)
    if waiting == 0:
        return mean
    d1 = (mu + sigma * sigma - math.log(waiting)) / sigma
    return float(mean * ndtr(d1) - waiting * ndtr(d1 - sigma))


def sir_final_size(r0: float) -> float:
    """The share of a susceptible population an SIR epidemic infects in the end.

    The positive root of z = 1 - exp(-R0 z), found with brentq on (0, 1]; the
    root is bracketed because f(z) = 1 - exp(-R0 z) - z is > 0 just above 0
    when R0 > 1 and f(1) = -exp(-R0) < 0.
    """
    if r0 <= 0 or not math.isfinite(r0):
        raise ValueError("r0 must be a finite number > 0")
    if r0 <= 1:
        return 0.0
    return float(brentq(lambda z: 1.0 - math.exp(-r0 * z) - z, 1e-12, 1.0, xtol=1e-15))
