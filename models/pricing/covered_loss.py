"""The covered part of one loss: coverage parts left out, regulatory fines capped.

Model (the rating plan's coverage section): every ground-up loss X splits into
the nine coverage parts in fixed shares s_i (summing to 1). A policy that buys
a subset of parts covers

    Z = g(X) = o * X + f * min(X, c),    c = fines_cap_usd / f,

where o is the summed share of the bought parts other than regulatory fines,
f the fines share if fines are bought (else 0), and the fines part of a loss,
f * X, is paid at most up to the legal maximum fine of the city's privacy
regime (``fines_cap_usd``, per loss event; None = no cap).

Without a cap Z = (o + f) X, which is again lognormal with mu + ln(o + f):
leaving parts out is exact under the fixed-split model. With a cap g is
increasing and piecewise linear, so min(g(X), u) = g(min(X, v)) with
v = g^-1(u), and the limited expected value keeps a closed form:

    E[min(Z, u)] = o * LEV_X(v) + f * LEV_X(min(v, c)).

The fixed split is the approximation: real losses vary in mix (a ransomware
event is mostly interruption and extortion, a breach mostly response and
liability). It is exact for expected values and a documented simplification
for the shape of Z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from models.pricing.lognormal import unchecked_lev, unchecked_mean


@dataclass(frozen=True)
class CoveredLoss:
    """Covered loss Z of one claim (USD) before retention and limit."""

    mu: float
    sigma: float
    other_share: float
    fines_share: float = 0.0
    fines_cap_usd: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mu) and math.isfinite(self.sigma) and self.sigma > 0):
            raise ValueError(
                f"severity mu must be finite and sigma > 0 (got {self.mu}, {self.sigma})"
            )
        if self.other_share < 0 or self.fines_share < 0:
            raise ValueError("coverage shares must be >= 0")
        if not 0 < self.other_share + self.fines_share <= 1 + 1e-12:
            raise ValueError("the covered share of a loss must be in (0, 1]")
        if self.fines_cap_usd is not None and not self.fines_cap_usd > 0:
            raise ValueError(f"fines_cap_usd must be > 0 (got {self.fines_cap_usd})")

    @cached_property
    def _fines_threshold(self) -> float:
        """Ground-up loss c at which the fines part reaches its cap (inf: never)."""
        if self.fines_cap_usd is None or self.fines_share == 0:
            return math.inf
        return self.fines_cap_usd / self.fines_share

    def _ground_up(self, u: ArrayLike) -> np.ndarray:
        """v = g^-1(u): the ground-up loss whose covered part is u (inf if never)."""
        z = np.asarray(u, dtype=np.float64)
        o, f, c = self.other_share, self.fines_share, self._fines_threshold
        below = z / (o + f)
        if math.isinf(c):
            return below
        knee = (o + f) * c
        # Above the knee only the other parts grow; with none bought, Z never exceeds it.
        above = (z - f * c) / o if o > 0 else np.full_like(z, np.inf)
        return np.where(z <= knee, below, above)

    def mean(self) -> float:
        """E[Z] in USD."""
        return float(self.lev(np.inf))

    def ground_up_mean(self) -> float:
        """E[X] in USD, the uncovered ground-up loss."""
        return unchecked_mean(self.mu, self.sigma)

    def lev(self, u: ArrayLike) -> np.ndarray:
        """E[min(Z, u)] in USD for u >= 0 (vectorised over u)."""
        v = self._ground_up(u)
        o, f, c = self.other_share, self.fines_share, self._fines_threshold
        at_v = unchecked_lev(v, self.mu, self.sigma)
        if math.isinf(c):
            return (o + f) * at_v
        # LEV_X(min(v, c)) is LEV_X(v) below the knee and the constant LEV_X(c) above it
        return o * at_v + f * np.where(v < c, at_v, self._lev_at_threshold)

    @cached_property
    def _lev_at_threshold(self) -> float:
        return float(unchecked_lev(np.asarray(self._fines_threshold), self.mu, self.sigma))

    def survival(self, u: float) -> float:
        """P(Z > u) for one amount u >= 0 (USD)."""
        v = float(self._ground_up(u))
        if v <= 0:
            return 1.0
        if math.isinf(v):
            return 0.0
        # Phi(-z) through erfc: the scalar path of scipy's ndtr costs more than the math
        return 0.5 * math.erfc((math.log(v) - self.mu) / (self.sigma * math.sqrt(2.0)))

    def part_means(self) -> tuple[float, float]:
        """(E[o X], E[f min(X, c)]) in USD: the other parts' and the fines' expected loss."""
        other = self.other_share * self.ground_up_mean()
        fines = self.fines_share * self._lev_at_threshold
        return other, fines

    def apply(self, ground_up_usd: np.ndarray) -> np.ndarray:
        """Z = g(X) for sampled ground-up losses (used by simulations and tests)."""
        x = np.asarray(ground_up_usd, dtype=np.float64)
        return self.other_share * x + self.fines_share * np.minimum(x, self._fines_threshold)

    def layer_expected_loss(self, retention_usd: float, limit_usd: float) -> float:
        """E[min(max(Z - d, 0), L)] in USD for one claim."""
        return float(self.lev(retention_usd + limit_usd) - self.lev(retention_usd))
