"""The compiled grid LEV (models/pricing/lev_kernel.py) against the numpy closed forms.

Oracle: ``CoveredLoss.lev`` (models/pricing/covered_loss.py, numpy through
models/pricing/spliced.py), the same formulas written as array operations.
The cities here reach every branch of the kernel: amounts at 0, in the body,
at and past the splice threshold, past a negative shape's upper end, at
infinity; shapes of exactly 0 and within the series' 1e-5 of 0; fines capped
with and without other parts bought (g_c flat past the knee); causes with no
bought share; no claims at all. Agreement to 1e-12 relative: the kernel takes
the same steps in the same order, so only libm's erf against cephes' differ.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from models.pricing import lev_kernel as kernel
from models.pricing.cause_losses import CAUSE_COUNT, CauseLosses, SeverityTails
from models.pricing.covered_loss import CoveredLoss, CoveredLossStack
from models.pricing.lev_kernel import _ndtr, stack_lev
from models.pricing.lognormal import unchecked_lev
from models.pricing.rating_plan import FINES_PART
from models.pricing.spliced import checked_params
from models.spec.contract import COVERAGE_PARTS

K = CAUSE_COUNT


def _city(rng: np.random.Generator, i: int) -> CoveredLoss:
    rate = rng.uniform(0.0, 0.5, K) * (rng.random(K) < 0.8)
    if i % 9 == 4:
        rate = np.zeros(K)  # no claims: weights all zero
    xi = rng.choice([-0.4, -0.05, 0.0, 3e-6, -2e-6, 0.2, 0.6, 0.95], K)
    tails = SeverityTails(z_u=rng.uniform(-1.0, 3.0, K), xi=xi, b=rng.uniform(0.05, 2.0, K))
    losses = CauseLosses(rate, rng.uniform(8.0, 15.0, K), rng.uniform(0.3, 3.0, K), tails)
    shares = {}
    for part in COVERAGE_PARTS:
        if rng.random() < 0.6:
            shares[part] = rng.uniform(0.0, 0.14, K) * (rng.random(K) < 0.8)
    if i % 5 == 0:  # fines alone: past the cap g_c is flat (o = 0)
        shares = {FINES_PART: rng.uniform(0.0, 1.0, K)}
    cap = None if i % 3 == 0 else float(10 ** rng.uniform(4, 7))
    return CoveredLoss(losses, shares, cap)


def _amounts(covered: list[CoveredLoss], rng: np.random.Generator) -> np.ndarray:
    """Per city: 0, a log-spread of amounts around its thresholds, 1e15 and inf."""
    rows = []
    for c in covered:
        t = np.exp(c.losses.mu + c.losses.sigma * c.losses.tails.z_u)
        near = np.concatenate([t * 0.999, t, t * 1.001, t * 40.0]) * float(rng.uniform(0.01, 0.2))
        spread = 10 ** rng.uniform(0, 9, 40)
        rows.append(np.sort(np.concatenate([[0.0, 1e-3], near, spread, [1e15, np.inf]])))
    return np.array(rows)


def test_the_compiled_lev_is_the_numpy_closed_form_on_every_branch() -> None:
    rng = np.random.default_rng(2026)
    covered = [_city(rng, i) for i in range(90)]
    stack = CoveredLossStack(covered)
    amounts = _amounts(covered, rng)
    lev = stack.lev(np.arange(len(covered)), amounts)
    for i, c in enumerate(covered):
        expected = c.lev(amounts[i])
        np.testing.assert_allclose(lev[i], expected, rtol=1e-12, atol=1e-9)
        assert lev[i][0] == 0.0  # nothing below 0
        assert lev[i][-1] == pytest.approx(c.mean(), rel=1e-12, abs=1e-9)  # LEV(inf) = E[Z]
    assert np.all(np.diff(lev, axis=1) >= -1e-6 * np.abs(lev[:, 1:]))  # non-decreasing


def test_rows_pick_their_own_constants_in_any_order() -> None:
    rng = np.random.default_rng(7)
    covered = [_city(rng, i) for i in range(12)]
    stack = CoveredLossStack(covered)
    amounts = _amounts(covered, rng)
    every = stack.lev(np.arange(12), amounts)
    rows = np.array([11, 3, 3, 0])
    picked = stack.lev(rows, amounts[rows])
    assert np.array_equal(picked, every[rows])  # bit for bit: each row its own loop
    assert np.array_equal(stack.lev(slice(4, 7), amounts[4:7]), every[4:7])


def test_the_normal_cdf_is_scipys_to_float_precision() -> None:
    # libm's erf/erfc against cephes': a few ulps near the middle, 1e-13 far in the lower tail
    x = np.concatenate([np.linspace(-37.0, 9.0, 20001), [0.0, -0.7071067811865476, 0.70710678]])
    ours = np.array([_ndtr(float(v)) for v in x])
    middle = np.abs(x) <= 5.0
    np.testing.assert_allclose(ours[middle], ndtr(x[middle]), rtol=2e-15, atol=0.0)
    np.testing.assert_allclose(ours, ndtr(x), rtol=1e-13, atol=0.0)


def test_the_kernel_refuses_arrays_of_the_wrong_kind() -> None:
    consts = CoveredLossStack([_city(np.random.default_rng(1), 1)])._constants
    with pytest.raises(TypeError):  # numba's dispatcher: no float32 amounts
        stack_lev(np.zeros((1, 3), dtype=np.float32), np.zeros(1, dtype=np.int64), consts)


def test_the_compiled_constants_follow_the_numpy_rules() -> None:
    rng = np.random.default_rng(11)
    covered = [_city(rng, i) for i in range(45)]
    consts = CoveredLossStack(covered)._constants
    for i, c in enumerate(covered):
        losses, tails = c.losses, c.losses.tails
        p = checked_params(losses.mu, losses.sigma, tails.z_u, tails.xi, tails.b)
        total = losses.rate.sum()
        weights = losses.rate / total if total > 0 else np.zeros(K)
        assert np.array_equal(consts[i, :, kernel.WEIGHT], weights)  # + - * / are exact
        np.testing.assert_allclose(consts[i, :, kernel.THRESHOLD], p.threshold, rtol=1e-15)
        np.testing.assert_allclose(consts[i, :, kernel.P_U], p.p_u, rtol=2e-15)
        np.testing.assert_allclose(
            consts[i, :, kernel.BODY_AT_THRESHOLD],
            unchecked_lev(p.threshold, p.mu, p.sigma),
            rtol=1e-13,
        )
        s = c.other_share + c.fines_share
        assert np.array_equal(consts[i, :, kernel.COVERED], (s > 0).astype(float))
        if c.fines_cap_usd is None:
            assert np.all(np.isinf(consts[i, :, kernel.FINES_THRESHOLD]))
        else:
            fined = c.fines_share > 0
            expected = np.where(
                fined, c.fines_cap_usd / np.where(fined, c.fines_share, 1.0), np.inf
            )
            assert np.array_equal(consts[i, :, kernel.FINES_THRESHOLD], expected)


def test_a_stack_names_the_rule_a_severity_breaks() -> None:
    tails = SeverityTails(z_u=np.full(K, 300.0), xi=np.zeros(K), b=np.ones(K))
    losses = CauseLosses(np.full(K, 0.1), np.full(K, 10.0), np.full(K, 3.0), tails)
    covered = CoveredLoss(losses, {COVERAGE_PARTS[0]: np.full(K, 0.5)}, None)
    with pytest.raises(ValueError, match="threshold exp"):  # exp(10 + 3 x 300) overflows
        CoveredLossStack([covered])
