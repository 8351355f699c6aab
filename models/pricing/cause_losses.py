"""A city's loss model by claim cause: a claim rate and a spliced severity per cause.

Every cause c of CONTRACT §2 (``CLAIM_CAUSES``, in that order on the last
axis) has its own Poisson claim rate ``rate[..., c]`` (claims per year) and
its own severity of one ground-up loss: a lognormal body (``mu[..., c]`` in
log USD, ``sigma[c]``) spliced at ``t = exp(mu + sigma z_u[c])`` with a GPD
on the relative excess (``xi[c]``, ``b[c]``; models/pricing/spliced.py).

The causes are independent Poisson processes, so the claims of a city are one
Poisson process with rate ``sum_c rate_c`` whose losses are the mixture of
the cause severities with weights ``rate_c / sum_c rate_c``. Leading axes are
policies (``rate`` of shape (n, K)) or none (one city, shape (K,)).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from models.pricing.spliced import spliced_layer_expected_loss, spliced_mean
from models.spec.contract import CLAIM_CAUSES

FloatArray = npt.NDArray[np.float64]
CAUSE_COUNT = len(CLAIM_CAUSES)


@dataclass(frozen=True)
class SeverityTails:
    """The spliced tail of each cause: standardised log threshold, GPD shape and scale (K,)."""

    z_u: FloatArray
    xi: FloatArray
    b: FloatArray

    def __post_init__(self) -> None:
        for name in ("z_u", "xi", "b"):
            values = np.asarray(getattr(self, name), dtype=np.float64)
            if values.shape != (CAUSE_COUNT,) or not np.all(np.isfinite(values)):
                raise ValueError(f"tail {name} must hold {CAUSE_COUNT} finite numbers, one a cause")
            object.__setattr__(self, name, values)
        if not np.all(self.b > 0) or not np.all(self.xi < 1):
            raise ValueError("tail b must be > 0 and xi < 1 (a finite mean) for every cause")


@dataclass(frozen=True)
class CauseLosses:
    """Claim rates (..., K) and severities of one or many cities, by cause."""

    rate: FloatArray  # claims per year, (..., K)
    mu: FloatArray  # lognormal body location, log USD, (..., K)
    sigma: FloatArray  # lognormal body scale of each cause, (K,)
    tails: SeverityTails

    def __post_init__(self) -> None:
        rate = np.asarray(self.rate, dtype=np.float64)
        mu = np.asarray(self.mu, dtype=np.float64)
        sigma = np.asarray(self.sigma, dtype=np.float64)
        if rate.shape != mu.shape or rate.shape[-1:] != (CAUSE_COUNT,):
            raise ValueError(
                f"rate and mu must have the same shape with {CAUSE_COUNT} causes last "
                f"(got {rate.shape} and {mu.shape})"
            )
        if sigma.shape != (CAUSE_COUNT,) or not np.all(np.isfinite(sigma) & (sigma > 0)):
            raise ValueError(f"sigma must hold {CAUSE_COUNT} finite numbers > 0, one a cause")
        object.__setattr__(self, "rate", rate)
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "sigma", sigma)

    def __len__(self) -> int:
        return int(self.rate.shape[0]) if self.rate.ndim > 1 else 1

    def city(self, row: int) -> CauseLosses:
        """One city's model (arrays of shape (K,)) from a batch."""
        # A row of a batch checked at construction holds: no second check (a batch of
        # 1,000 quotes asks for each of its cities; issue 13).
        city = object.__new__(CauseLosses)
        for name, value in (
            ("rate", self.rate[row]), ("mu", self.mu[row]), ("sigma", self.sigma),
            ("tails", self.tails),
        ):  # fmt: skip
            object.__setattr__(city, name, value)
        if "_mean_loss" in self.__dict__:  # the batch's means are elementwise: the same bits
            city.__dict__["_mean_loss"] = self._mean_loss[row]
        return city

    def rows(self, rows: slice | npt.NDArray[np.intp]) -> CauseLosses:
        """The cities at ``rows`` of a batch (a batch again)."""
        return CauseLosses(self.rate[rows], self.mu[rows], self.sigma, self.tails)

    @property
    def claim_rate_per_year(self) -> FloatArray:
        """All causes' claims per year, (...)."""
        return self.rate.sum(axis=-1)

    @property
    def cause_weights(self) -> FloatArray:
        """P(cause | a claim), (..., K); a city with no claims gets zeros."""
        total = self.rate.sum(axis=-1, keepdims=True)
        return np.divide(self.rate, total, out=np.zeros_like(self.rate), where=total > 0)

    def mean_loss(self) -> FloatArray:
        """E[X] of one ground-up loss of each cause (USD), (..., K); read-only."""
        return self._mean_loss

    @cached_property
    def _mean_loss(self) -> FloatArray:
        # computed once: a quote asks for it five times (issue 13)
        t = self.tails
        mean = spliced_mean(self.mu, self.sigma, t.z_u, t.xi, t.b)
        mean.flags.writeable = False
        return mean

    def annual_ground_up_loss_by_cause(self) -> FloatArray:
        """Expected ground-up loss per year of each cause (USD), (..., K)."""
        return self.rate * self.mean_loss()

    def expected_annual_loss(self) -> FloatArray:
        """Expected ground-up loss per year of all causes (USD), (...)."""
        return self.annual_ground_up_loss_by_cause().sum(axis=-1)

    def layer_per_claim_by_cause(
        self, retention_usd: npt.ArrayLike, limit_usd: npt.ArrayLike
    ) -> FloatArray:
        """E[min((X - d)+, L)] of one ground-up loss of each cause (USD), (..., K).

        ``retention_usd`` and ``limit_usd`` broadcast against the leading axes.
        """
        d = np.asarray(retention_usd, dtype=np.float64)[..., np.newaxis]
        cap = np.asarray(limit_usd, dtype=np.float64)[..., np.newaxis]
        t = self.tails
        return spliced_layer_expected_loss(d, cap, self.mu, self.sigma, t.z_u, t.xi, t.b)

    def annual_layer_loss(
        self, retention_usd: npt.ArrayLike, limit_usd: npt.ArrayLike
    ) -> FloatArray:
        """Expected annual loss in a per-claim layer, all causes, no aggregate limit (USD)."""
        return (self.rate * self.layer_per_claim_by_cause(retention_usd, limit_usd)).sum(axis=-1)
