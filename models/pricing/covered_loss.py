"""The covered part of one claim: a mixture over causes, parts left out, fines capped.

Model. A claim of a city is of cause c with probability w_c (the city's cause
weights, rate_c / sum of rates; models/pricing/cause_losses.py) and its
ground-up loss X_c (USD) is that cause's spliced severity (lognormal body, GPD
tail; models/pricing/spliced.py). The rating plan splits a loss of cause c
into the coverage parts in shares s_cp (``cause_coverages:``, summing to 1 over
the parts). A policy that buys a set of parts covers, of a cause-c loss,

    Z_c = g_c(X_c) = o_c X_c + f_c min(X_c, k_c),    k_c = fines_cap_usd / f_c,

where o_c is cause c's summed share of the bought parts other than regulatory
fines, f_c its fines share if fines are bought (else 0), and the fines part
f_c X_c is paid at most up to the legal maximum fine of the city's privacy
regime (``fines_cap_usd``, per loss event; None = no cap, k_c = inf). A cause
none of whose loss falls in a bought part (o_c + f_c = 0) still sends claims,
each paying 0. The covered loss of one claim is the mixture

    P(Z in A) = sum_c w_c P(g_c(X_c) in A).

Each g_c is non-decreasing and piecewise linear, so with
v_c = g_c^-1(u) = sup{x : g_c(x) <= u} (inf where g_c never exceeds u),
min(g_c(X), u) = g_c(min(X, v_c)) and both the limited expected value and the
survival keep closed forms:

    E[min(Z, u)] = sum_c w_c (o_c LEV_c(v_c) + f_c LEV_c(min(v_c, k_c))),
    P(Z > u)     = sum_c w_c P(X_c > v_c).

The split of a loss into parts is fixed within a cause (every ransomware loss
in the same shares); the mix of parts across a city's claims varies with the
cause, as in the claims studies the plan cites.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from models.pricing import lev_kernel as kernel
from models.pricing.cause_losses import CAUSE_COUNT, CauseLosses
from models.pricing.rating_plan import FINES_PART
from models.pricing.spliced import SplicedParams, checked_params, lev_of, survival_of
from models.spec.contract import COVERAGE_PARTS

FloatArray = npt.NDArray[np.float64]
_SHARE_SUM_TOLERANCE = 1e-9  # a cause's bought shares may exceed 1 by rounding only


def _amounts(u: npt.ArrayLike, name: str) -> FloatArray:
    """Amounts >= 0 USD as floats; the ValueError of models/pricing/spliced.py otherwise."""
    a = np.asarray(u, dtype=np.float64)
    if np.any(np.isnan(a) | (a < 0)):
        raise ValueError(f"{name} must be >= 0 USD (got {u!r})")
    return a


class PartShares:
    """The bought coverage parts' shares of each cause's loss, checked once.

    ``shares``: each bought part -> its share of each cause's ground-up loss,
    (K,) in CLAIM_CAUSES order, read-only, COVERAGE_PARTS order; ``other``
    o_c and ``fines`` f_c as in the module docstring; ``total`` their sum.
    A rating plan's parts are the same for every city that buys them, so a
    plan checks them once (models/pricing/premium.py) and every quote's
    CoveredLoss takes them as they are (issue 13).
    """

    __slots__ = ("fines", "other", "shares", "total")

    def __init__(self, part_shares: Mapping[str, npt.ArrayLike]) -> None:
        unknown = sorted(set(part_shares) - set(COVERAGE_PARTS))
        if unknown:
            raise ValueError(f"unknown coverage parts {unknown}; parts: {list(COVERAGE_PARTS)}")
        shares: dict[str, FloatArray] = {}
        for part in (p for p in COVERAGE_PARTS if p in part_shares):
            values = np.array(part_shares[part], dtype=np.float64)  # a copy: frozen below
            if values.shape != (CAUSE_COUNT,):
                raise ValueError(_bad_shares(part))
            shares[part] = values
        table = np.array(list(shares.values())).reshape(len(shares), CAUSE_COUNT)
        if not np.all(np.isfinite(table) & (table >= 0)):  # one check for all parts
            bad = np.flatnonzero(~np.all(np.isfinite(table) & (table >= 0), axis=1))[0]
            raise ValueError(_bad_shares(list(shares)[bad]))
        if np.any(table.sum(axis=0) > 1.0 + _SHARE_SUM_TOLERANCE):
            raise ValueError("the bought shares of a cause's loss must sum to at most 1")
        other = np.zeros(CAUSE_COUNT)
        for part, values in shares.items():
            if part != FINES_PART:
                other = other + values
        fines = shares.get(FINES_PART, np.zeros(CAUSE_COUNT))
        for array in (*shares.values(), other, fines):
            array.setflags(write=False)  # shared by every quote that buys these parts
        self.shares: Mapping[str, FloatArray] = MappingProxyType(shares)
        self.other: FloatArray = other
        self.fines: FloatArray = fines
        self.total: FloatArray = sum(shares.values(), np.zeros(CAUSE_COUNT))


def _bad_shares(part: str) -> str:
    return f"shares of {part} must be {CAUSE_COUNT} numbers >= 0, one a cause"


@dataclass(frozen=True, eq=False)
class CoveredLoss:
    """Covered loss Z of one claim of one city (USD) before retention and limit.

    ``losses``: the city's claim rates and severities by cause (arrays of shape
    (K,)); ``part_shares``: each bought coverage part -> its share of each
    cause's ground-up loss, (K,) in CLAIM_CAUSES order, or a :class:`PartShares`
    already checked; ``fines_cap_usd``: the legal maximum of the fines part
    per loss (None = no cap).
    """

    losses: CauseLosses
    part_shares: Mapping[str, npt.ArrayLike] | PartShares
    fines_cap_usd: float | None = None
    _parts: PartShares = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.losses.rate.shape != (CAUSE_COUNT,):
            raise ValueError(
                f"losses must be one city's, arrays of shape ({CAUSE_COUNT},) "
                f"(got {self.losses.rate.shape})"
            )
        parts = self.part_shares
        if not isinstance(parts, PartShares):
            parts = PartShares(parts)
        if self.fines_cap_usd is not None and not self.fines_cap_usd > 0:
            raise ValueError(f"fines_cap_usd must be > 0 (got {self.fines_cap_usd})")
        object.__setattr__(self, "_parts", parts)
        object.__setattr__(self, "part_shares", parts.shares)

    # -- the per-cause map g_c -------------------------------------------------

    @property
    def other_share(self) -> FloatArray:
        """o_c: each cause's share in the bought parts other than regulatory fines, (K,)."""
        return self._parts.other

    @property
    def fines_share(self) -> FloatArray:
        """f_c: each cause's regulatory fines share if fines are bought, else 0, (K,)."""
        return self._parts.fines

    @cached_property
    def _fines_threshold(self) -> FloatArray:
        """k_c: the ground-up loss at which cause c's fines part reaches the cap (inf: never)."""
        f = self.fines_share
        if self.fines_cap_usd is None:
            return np.full(CAUSE_COUNT, np.inf)
        return np.where(f > 0, self.fines_cap_usd / np.where(f > 0, f, 1.0), np.inf)

    @cached_property
    def _inverse(self) -> tuple[FloatArray, ...]:
        """Constants of g_c^-1, (K,) each: 1/(o+f) and 1/o (1 where 0), f k_c, the knee g_c(k_c).

        Computed once per policy: the aggregate calls ``lev`` on hundreds of
        amounts several times per quote.
        """
        o, f, k = self.other_share, self.fines_share, self._fines_threshold
        s = o + f
        capped = np.isfinite(k)
        fines_at_cap = np.where(capped, f * np.where(capped, k, 0.0), 0.0)
        knee = np.where(capped, s * np.where(capped, k, 0.0), np.inf)
        return 1.0 / np.where(s > 0, s, 1.0), 1.0 / np.where(o > 0, o, 1.0), fines_at_cap, knee

    def _ground_up(self, u: npt.ArrayLike) -> FloatArray:
        """v_c = g_c^-1(u) = sup{x : g_c(x) <= u} for each cause, (..., K) for u of shape (...)."""
        z = np.asarray(u, dtype=np.float64)[..., np.newaxis]
        o, f = self.other_share, self.fines_share
        inverse_total, inverse_other, fines_at_cap, knee = self._inverse
        # o + f = 0: g_c = 0 never exceeds u; o = 0 above the knee: g_c is flat at the cap
        below = np.where(o + f > 0, z * inverse_total, np.inf)
        if self.fines_cap_usd is None:
            return below
        above = np.where(o > 0, (z - fines_at_cap) * inverse_other, np.inf)
        # at the knee itself a flat g_c (o = 0) never exceeds u: v = inf, not k
        at_or_above = np.where(o > 0, z > knee, z >= knee)
        return np.where(at_or_above, above, below)

    @cached_property
    def _severity(self) -> SplicedParams:
        """Each cause's spliced severity, checked once (the grids call ``lev`` many times)."""
        t = self.losses.tails
        return checked_params(self.losses.mu, self.losses.sigma, t.z_u, t.xi, t.b)

    @cached_property
    def _lev_at_threshold(self) -> FloatArray:
        """LEV_c(k_c) of the ground-up loss (the mean where k_c = inf), (K,)."""
        return lev_of(self._fines_threshold, self._severity)

    @cached_property
    def _ground_up_mean(self) -> FloatArray:
        """E[X_c] of each cause (USD), (K,)."""
        return lev_of(np.full(CAUSE_COUNT, np.inf), self._severity)

    # -- per cause ---------------------------------------------------------------

    @cached_property
    def cause_weights(self) -> FloatArray:
        """w_c = P(cause c | a claim), (K,); zeros for a city with no claims."""
        return self.losses.cause_weights

    def lev_by_cause(self, u: npt.ArrayLike) -> FloatArray:
        """E[min(Z_c, u)] of a cause-c claim (USD), (..., K) for u >= 0 of shape (...)."""
        v = self._ground_up(_amounts(u, "limit"))  # v >= 0 (inf where nothing reaches u)
        at_v = lev_of(v, self._severity)
        capped = np.where(v < self._fines_threshold, at_v, self._lev_at_threshold)
        return self.other_share * at_v + self.fines_share * capped

    def survival_by_cause(self, u: npt.ArrayLike) -> FloatArray:
        """P(Z_c > u) of a cause-c claim, (..., K) for u >= 0 of shape (...)."""
        return survival_of(self._ground_up(_amounts(u, "amount")), self._severity)

    def mean_by_cause(self) -> FloatArray:
        """E[Z_c] of a cause-c claim (USD), (K,)."""
        return self.lev_by_cause(np.inf)

    def layer_expected_loss_by_cause(self, retention_usd: float, limit_usd: float) -> FloatArray:
        """E[min((Z_c - d)+, L)] of a cause-c claim (USD), (K,)."""
        low, high = self.lev_by_cause(np.array([retention_usd, retention_usd + limit_usd]))
        return high - low

    # -- the mixture ---------------------------------------------------------------

    def lev(self, u: npt.ArrayLike) -> FloatArray:
        """E[min(Z, u)] in USD for u >= 0 (vectorised over u)."""
        return self.lev_by_cause(u) @ self.cause_weights

    def survival(self, u: npt.ArrayLike) -> FloatArray:
        """P(Z > u) for u >= 0 USD (vectorised over u)."""
        return self.survival_by_cause(u) @ self.cause_weights

    def mean(self) -> float:
        """E[Z] in USD."""
        return float(self.lev(np.inf))

    def layer_expected_loss(self, retention_usd: float, limit_usd: float) -> float:
        """E[min(max(Z - d, 0), L)] in USD for one claim."""
        return float(
            self.layer_expected_loss_by_cause(retention_usd, limit_usd) @ self.cause_weights
        )

    def part_means(self) -> dict[str, float]:
        """Expected covered loss of one claim in each bought part (USD), fines capped.

        sum_c w_c s_cp E[X_c] for a part p other than fines, sum_c w_c f_c
        LEV_c(k_c) for fines; the values add up to :meth:`mean`.
        """
        w = self.cause_weights
        return {
            part: float(
                w @ (self.fines_share * self._lev_at_threshold)
                if part == FINES_PART
                else w @ (shares * self._ground_up_mean)
            )
            for part, shares in self._parts.shares.items()
        }

    def apply(self, ground_up_usd: npt.ArrayLike, causes: npt.ArrayLike) -> FloatArray:
        """Z = g_c(X) for sampled ground-up losses X and their causes (indices into CLAIM_CAUSES).

        For simulations and tests: the covered loss of each sampled claim.
        """
        x = np.asarray(ground_up_usd, dtype=np.float64)
        c = np.asarray(causes, dtype=np.intp)
        k = self._fines_threshold[c]
        return self.other_share[c] * x + self.fines_share[c] * np.minimum(x, k)


#: Policies of a stack: an index array, or a slice.
Rows = npt.NDArray[np.intp] | slice


class CoveredLossStack:
    """The covered losses of many policies, their LEVs and survivals, compiled.

    The aggregate (models/pricing/aggregate.py) evaluates every policy's LEV
    on grids of 257 amounts, 7 causes each, about twice a policy, and a
    quote asks a few more at its retention and limit. Each policy's
    constants of g_c and of its spliced severities are computed once, in one
    compiled pass, as a (K, COLUMNS) block of models/pricing/lev_kernel.py,
    whose loops apply
    :class:`CoveredLoss`'s rules element by element (that class, in numpy,
    is the reference the tests hold these to).

    Every number is computed within its own row, so a policy gets the same
    bits in a stack of one as in a stack of a thousand: the batch quote
    equals its single quote.
    """

    def __init__(self, covered: Sequence[CoveredLoss]) -> None:
        if not covered:
            raise ValueError("a stack needs at least one covered loss")
        self.size = len(covered)
        # CoveredLoss's constants, by the same rules element by element in one compiled pass
        fields = np.array(
            [
                (
                    c.other_share, c.fines_share, c.losses.rate, c.losses.mu, c.losses.sigma,
                    c.losses.tails.z_u, c.losses.tails.xi, c.losses.tails.b,
                )
                for c in covered
            ],
            dtype=np.float64,
        ).transpose(0, 2, 1)  # fmt: skip
        cap = np.array([np.nan if c.fines_cap_usd is None else c.fines_cap_usd for c in covered])
        self._constants, at_threshold, mean, valid = kernel.stack_constants(
            np.ascontiguousarray(fields), cap
        )
        if not valid:  # the numpy rules name what is wrong
            checked_params(*(fields[:, :, j] for j in range(kernel.F_MU, kernel.FIELDS)))
            raise AssertionError("stack_constants refused severities checked_params accepts")
        for i, c in enumerate(covered):  # the per-policy parts (part_means) read the same rows
            c.__dict__.update(_lev_at_threshold=at_threshold[i], _ground_up_mean=mean[i])
        self._parts = [c._parts for c in covered]
        weights = self._constants[:, :, kernel.WEIGHT]
        fines = self._constants[:, :, kernel.FINES]
        self._weighted_mean = weights * mean  # w_c E[X_c]
        self._weighted_fines = weights * (fines * at_threshold)  # w_c f_c LEV_c(k_c)

    def part_means(self) -> list[dict[str, float]]:
        """:meth:`CoveredLoss.part_means` of every policy, the policies of the same parts at once.

        Each value is its policy's sum over causes, in cause order (an
        elementwise product summed along the causes, no BLAS product whose
        blocking could couple rows), so a policy's split is the same in any
        batch.
        """
        out: list[dict[str, float]] = [{} for _ in range(self.size)]
        groups: dict[int, tuple[PartShares, list[int]]] = {}
        for i, parts in enumerate(self._parts):
            groups.setdefault(id(parts), (parts, []))[1].append(i)
        for parts, members in groups.values():
            names = list(parts.shares)
            table = np.array([parts.shares[p] for p in names])  # (P, K)
            rows = np.asarray(members)
            values = (self._weighted_mean[rows, np.newaxis, :] * table).sum(axis=-1)
            if FINES_PART in parts.shares:
                values[:, names.index(FINES_PART)] = self._weighted_fines[rows].sum(axis=-1)
            for i, row in zip(members, values.tolist(), strict=True):
                out[i] = dict(zip(names, row, strict=True))
        return out

    def _rows(self, rows: Rows) -> npt.NDArray[np.int64]:
        return np.asarray(np.arange(self.size)[rows] if isinstance(rows, slice) else rows, np.int64)

    @staticmethod
    def _amounts(u: npt.ArrayLike, name: str) -> FloatArray:
        return np.ascontiguousarray(_amounts(u, name))

    def lev_by_cause(self, rows: Rows, u: npt.ArrayLike) -> FloatArray:
        """E[min(Z_c, u)] (USD), (r, P, K), of the policies ``rows`` at amounts u (r, P)."""
        amounts = self._amounts(u, "limit")
        return kernel.stack_lev_by_cause(amounts, self._rows(rows), self._constants)

    def lev(self, rows: Rows, u: npt.ArrayLike) -> FloatArray:
        """E[min(Z, u)] in USD of the policies ``rows`` (r,), for amounts u >= 0 of shape (r, P)."""
        return kernel.stack_lev(self._amounts(u, "limit"), self._rows(rows), self._constants)

    def layer_expected_loss_by_cause(
        self, retention_usd: FloatArray, limit_usd: FloatArray
    ) -> FloatArray:
        """E[min((Z_c - d)+, L)] of a cause-c claim (USD), (n, K), for each policy's d and L (n,)."""
        d = np.asarray(retention_usd, dtype=np.float64)
        amounts = np.stack([d, d + np.asarray(limit_usd, dtype=np.float64)], axis=1)
        by_cause = self.lev_by_cause(np.arange(self.size), amounts)
        return by_cause[:, 1, :] - by_cause[:, 0, :]

    def lev_and_survival(self, rows: Rows, u: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """:meth:`lev` and :meth:`survival` at the same amounts, from one g^-1 (the retention)."""
        amounts = self._amounts(u, "limit")
        return kernel.stack_lev_and_survival(amounts, self._rows(rows), self._constants)

    def survival(self, rows: Rows, u: npt.ArrayLike) -> FloatArray:
        """P(Z > u) of the policies ``rows`` (r,), for amounts u >= 0 of shape (r, P)."""
        amounts = self._amounts(u, "amount")
        return kernel.stack_lev_and_survival(amounts, self._rows(rows), self._constants)[1]
