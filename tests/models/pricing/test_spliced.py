"""Lognormal-body / GPD-tail closed forms against the definition, integrated by quad.

The oracle survival is written here from scipy.stats, straight from the
definition: lognorm.sf below t = exp(mu + sigma z_u), and p_u times
genpareto.sf of the relative excess (x - t) / t above it. LEV(u) is then
integral_0^u S(x) dx, done by scipy.integrate.quad.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from models.pricing.lognormal import layer_expected_loss, lognormal_lev, lognormal_quantile
from models.pricing.spliced import (
    mixture_layer_expected_loss,
    spliced_layer_expected_loss,
    spliced_lev,
    spliced_mean,
    spliced_quantile,
    spliced_sample,
    spliced_survival,
)

# (mu, sigma, z_u, xi, b): the tails training/fitting/tail.py can return, from a
# bounded one (xi < 0, upper end t (1 + b / 0.3)) to one with no variance (xi > 1/2)
CASES = [
    (math.log(100e3), 1.8, 1.2816, 0.3, 0.8),  # 10% of claims in the tail, Pareto-like
    (math.log(1e6), 2.2, 1.0, 0.0, 1.5),  # exponential excess (the xi = 0 limit)
    (math.log(20e3), 0.6, 1.6449, -0.3, 0.5),  # bounded excess
    (math.log(100e3), 1.5, 0.5, 0.8, 0.6),  # mean finite, variance not
]
U_OVER_T = [0.0, 0.05, 0.5, 0.999, 1.0, 1.001, 2.0, 10.0, 1e3, math.inf]


def _threshold(mu: float, sigma: float, z_u: float) -> float:
    return math.exp(mu + sigma * z_u)


def _survival_by_definition(
    x: float, mu: float, sigma: float, z_u: float, xi: float, b: float
) -> float:
    t = _threshold(mu, sigma, z_u)
    if x <= t:
        return float(stats.lognorm.sf(x, sigma, scale=math.exp(mu)))
    return float(stats.norm.sf(z_u) * stats.genpareto.sf((x - t) / t, xi, scale=b))


def _upper_end(mu: float, sigma: float, z_u: float, xi: float, b: float) -> float:
    return _threshold(mu, sigma, z_u) * (1.0 - b / xi) if xi < 0 else math.inf


def _tail_integrand(s: float, case: tuple[float, ...]) -> float:
    """S(e^s) e^s; 0 past s = 700, where even the xi = 0.8 tail, ~e^(-s / 4), has
    nothing left that double precision could add (and math.exp would overflow)."""
    if s > 700.0:
        return 0.0
    return _survival_by_definition(math.exp(s), *case) * math.exp(s)


def _integral_of_survival(lo: float, hi: float, case: tuple[float, ...]) -> float:
    """integral_lo^hi S(x) dx: in x below t, in s = ln x above it (the tail spans decades)."""
    t = _threshold(*case[:3])
    hi = min(hi, _upper_end(*case))  # S = 0 past a bounded tail's end: no kink for quad
    total = 0.0
    if lo < t:
        total += integrate.quad(
            lambda x: _survival_by_definition(x, *case),
            lo,
            min(hi, t),
            epsabs=0,
            epsrel=1e-12,
            limit=200,
        )[0]
    if hi > t:
        s_lo, s_hi = math.log(max(lo, t)), math.log(hi)
        total += integrate.quad(
            lambda s: _tail_integrand(s, case),
            s_lo,
            s_hi,
            epsabs=0,
            epsrel=1e-12,
            limit=400,
        )[0]
    return total


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("u_over_t", U_OVER_T)
def test_lev_is_the_integral_of_the_survival(case: tuple[float, ...], u_over_t: float) -> None:
    u = u_over_t * _threshold(*case[:3])
    expected = _integral_of_survival(0.0, u, case)
    assert float(spliced_lev(u, *case)) == pytest.approx(expected, rel=1e-7, abs=0.0)


@pytest.mark.parametrize("case", CASES)
def test_mean_is_the_lev_at_infinity_and_the_integral_to_infinity(case: tuple[float, ...]) -> None:
    mean = float(spliced_mean(*case))
    assert mean == pytest.approx(_integral_of_survival(0.0, math.inf, case), rel=1e-7)
    assert float(spliced_lev(math.inf, *case)) == pytest.approx(mean, rel=1e-14)
    assert float(spliced_lev(0.0, *case)) == 0.0


def test_mean_matches_a_seeded_simulation_within_four_standard_errors() -> None:
    """10^6 draws; SE = sqrt(Var X / n) with Var X from the closed-form second moment.

    E[X^2] = exp(2 mu + 2 sigma^2) Phi(z_u - 2 sigma) + p_u t^2 E[(1 + Y)^2],
    E[(1 + Y)^2] = 1 + 2 b / (1 - xi) + 2 b^2 / ((1 - xi)(1 - 2 xi)) (xi < 1/2).
    Here mean = 353,492 USD, SD = 716,338 USD, SE = 716.34 USD (0.2% of the mean);
    xi = 0.2 < 1/4 also keeps the fourth moment finite, so the sample mean's
    normal approximation is sound.
    """
    mu, sigma, z_u, xi, b = math.log(100e3), 1.8, 1.2816, 0.2, 0.8
    n = 10**6
    t, p_u = _threshold(mu, sigma, z_u), stats.norm.sf(z_u)
    mean = float(spliced_mean(mu, sigma, z_u, xi, b))
    second = math.exp(2 * mu + 2 * sigma**2) * stats.norm.cdf(z_u - 2 * sigma) + p_u * t**2 * (
        1 + 2 * b / (1 - xi) + 2 * b**2 / ((1 - xi) * (1 - 2 * xi))
    )
    se = math.sqrt((second - mean**2) / n)
    assert se == pytest.approx(716.34, rel=1e-5)  # the SE stated above
    draws = spliced_sample(np.random.default_rng(20240611), n, mu, sigma, z_u, xi, b)
    assert draws.shape == (n,)
    assert abs(draws.mean() - mean) < 4 * se
    # the share of draws past t is Binomial(n, p_u) / n: also within 4 of its SEs
    assert abs(np.mean(draws > t) - p_u) < 4 * math.sqrt(p_u * (1 - p_u) / n)


def test_sampling_is_reproducible_from_the_generator() -> None:
    case = CASES[0]
    first = spliced_sample(np.random.default_rng(7), (3, 4), *case)
    again = spliced_sample(np.random.default_rng(7), (3, 4), *case)
    assert first.shape == (3, 4)
    np.testing.assert_array_equal(first, again)
    assert np.all(np.isfinite(first) & (first >= 0))
    # parameters wider than size would make several losses share one uniform
    with pytest.raises(ValueError, match="size"):
        spliced_sample(np.random.default_rng(7), 4, np.full((3, 1), 11.0), 1.0, 1.0, 0.2, 0.5)


@pytest.mark.parametrize("case", CASES)
def test_survival_is_continuous_at_the_threshold(case: tuple[float, ...]) -> None:
    t, p_u = _threshold(*case[:3]), stats.norm.sf(case[2])
    # S changes by about (density x t) 1e-12 over a relative step of 1e-12
    assert float(spliced_survival(t * (1 - 1e-12), *case)) == pytest.approx(p_u, rel=1e-9)
    assert float(spliced_survival(t, *case)) == pytest.approx(p_u, rel=1e-12)
    assert float(spliced_survival(t * (1 + 1e-12), *case)) == pytest.approx(p_u, rel=1e-9)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("x_over_t", [0.0, 0.01, 0.7, 1.3, 5.0, 200.0])
def test_survival_matches_the_definition(case: tuple[float, ...], x_over_t: float) -> None:
    x = x_over_t * _threshold(*case[:3])
    expected = _survival_by_definition(x, *case)
    assert float(spliced_survival(x, *case)) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_survival_is_zero_at_infinity_and_past_a_bounded_tails_end() -> None:
    bounded = CASES[2]
    end = _upper_end(*bounded)  # t (1 + 0.5 / 0.3)
    assert float(spliced_survival(math.inf, *CASES[0])) == 0.0
    assert float(spliced_survival(end * 1.01, *bounded)) == 0.0
    assert float(spliced_lev(end * 1.01, *bounded)) == pytest.approx(
        float(spliced_mean(*bounded)), rel=1e-15
    )


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize(
    ("d_over_t", "l_over_t"), [(0.0, 0.5), (0.2, 3.0), (1.0, 1.0), (4.0, 40.0), (0.0, math.inf)]
)
def test_layer_is_the_integral_of_the_survival_over_the_layer(
    case: tuple[float, ...], d_over_t: float, l_over_t: float
) -> None:
    """E[min(max(X - d, 0), L)] = integral_d^(d+L) S(x) dx = LEV(d + L) - LEV(d)."""
    t = _threshold(*case[:3])
    d, cap = d_over_t * t, l_over_t * t
    got = float(spliced_layer_expected_loss(d, cap, *case))
    assert got == pytest.approx(_integral_of_survival(d, d + cap, case), rel=1e-7)
    difference = float(spliced_lev(d + cap, *case)) - float(spliced_lev(d, *case))
    assert got == pytest.approx(difference, rel=1e-11)


@pytest.mark.parametrize("case", [CASES[0], CASES[1], CASES[3]])
def test_a_layer_far_up_the_tail_keeps_its_relative_precision(case: tuple[float, ...]) -> None:
    """d at the 1-in-10^10 loss: LEV(d) agrees with the mean to ~10 digits, the layer does not."""
    d = float(spliced_quantile(1 - 1e-10, *case))
    got = float(spliced_layer_expected_loss(d, d, *case))
    assert got == pytest.approx(_integral_of_survival(d, 2 * d, case), rel=1e-9)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("prob", [1e-6, 0.2, 0.5, 0.9, 0.97, 0.999, 1 - 1e-9])
def test_quantile_inverts_the_survival(case: tuple[float, ...], prob: float) -> None:
    x = float(spliced_quantile(prob, *case))
    assert float(spliced_survival(x, *case)) == pytest.approx(1 - prob, rel=1e-9)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("x_over_t", [0.1, 0.9, 1.1, 2.5])
def test_quantile_of_the_cdf_gives_back_the_loss(case: tuple[float, ...], x_over_t: float) -> None:
    x = x_over_t * _threshold(*case[:3])
    if x >= _upper_end(*case):
        pytest.skip("past the bounded tail's end")
    cdf = 1 - float(spliced_survival(x, *case))
    assert float(spliced_quantile(cdf, *case)) == pytest.approx(x, rel=1e-9)


def test_quantile_in_the_body_is_the_lognormals_and_the_ends_are_exact() -> None:
    mu, sigma = CASES[0][:2]
    below = np.array([0.01, 0.3, 0.6, 0.89])  # Phi(1.2816) = 0.9000
    np.testing.assert_allclose(
        spliced_quantile(below, *CASES[0]), lognormal_quantile(below, mu, sigma), rtol=1e-14
    )
    assert float(spliced_quantile(0.0, *CASES[0])) == 0.0
    assert float(spliced_quantile(1.0, *CASES[0])) == math.inf
    assert float(spliced_quantile(1.0, *CASES[2])) == pytest.approx(
        _upper_end(*CASES[2]), rel=1e-14
    )


@pytest.mark.parametrize("case", CASES)
def test_a_threshold_far_out_leaves_the_plain_lognormal(case: tuple[float, ...]) -> None:
    """z_u = sigma + 8: the lognormal's mass past t is E[X; X > t] / E[X] = Phi(sigma - z_u) = 6e-16.

    (z_u = 8 alone is not far enough: with sigma = 2.2 the body's share of the
    mean past t is Phi(-5.8) = 3e-9, and the tail replaces it.)
    """
    mu, sigma, _, xi, b = case
    z_u = sigma + 8.0
    t = _threshold(mu, sigma, z_u)
    median = math.exp(mu)
    u = np.array([0.0, 1e-3 * median, median, 30 * median, 0.5 * t, t, 2 * t, 1e6 * t, math.inf])
    np.testing.assert_allclose(
        spliced_lev(u, mu, sigma, z_u, xi, b), lognormal_lev(u, mu, sigma), rtol=1e-12
    )
    # layers around the median: one far up would test lognormal.py's LEV difference,
    # whose absolute error is ~1e-16 of the mean, not the splice
    d, cap = np.array([0.0, 1.0, 5.0]) * median, np.array([1.0, 5.0, 50.0]) * median
    np.testing.assert_allclose(
        spliced_layer_expected_loss(d, cap, mu, sigma, z_u, xi, b),
        layer_expected_loss(d, cap, mu, sigma),
        rtol=1e-12,
    )


def test_xi_zero_is_the_limit_of_small_shapes() -> None:
    """The xi -> 0 series and the exact exponential agree: a shape of 1e-9 moves LEV by ~1e-9."""
    mu, sigma, z_u, _, b = CASES[1]
    u = np.array([0.5, 1.5, 10.0, 1e3, math.inf]) * _threshold(mu, sigma, z_u)
    at_zero = spliced_lev(u, mu, sigma, z_u, 0.0, b)
    for xi in (-1e-9, 1e-9, 1e-6):
        np.testing.assert_allclose(
            spliced_lev(u, mu, sigma, z_u, xi, b), at_zero, rtol=10 * abs(xi)
        )


def test_vectorised_over_amounts_and_parameters() -> None:
    params = [np.array(column) for column in zip(*CASES, strict=True)]  # each shape (4,)
    u = np.array([[1e4], [3e5], [1e7], [np.inf]])  # (4, 1) against (4,): a (4, 4) grid
    grid = spliced_lev(u, *params)
    assert grid.shape == (4, 4)
    for i in range(4):
        for k, case in enumerate(CASES):
            assert grid[i, k] == float(spliced_lev(u[i, 0], *case))


def test_mixture_is_the_weighted_sum_of_its_components() -> None:
    rng = np.random.default_rng(11)
    policies, causes = 3, 4
    mu = rng.uniform(9.0, 14.0, (policies, causes))
    sigma = rng.uniform(0.5, 2.5, (policies, causes))
    z_u = rng.uniform(0.5, 2.0, causes)  # one threshold per cause, shared by the policies
    xi = np.array([-0.2, 0.0, 0.4, 0.9])
    b = rng.uniform(0.2, 2.0, causes)
    weights = rng.dirichlet(np.ones(causes), policies)
    retention, limit = np.array([0.0, 50e3, 250e3]), 1e6
    got = mixture_layer_expected_loss(retention, limit, weights, mu, sigma, z_u, xi, b)
    assert got.shape == (policies,)
    for i in range(policies):
        expected = sum(
            weights[i, k]
            * float(
                spliced_layer_expected_loss(
                    retention[i], limit, mu[i, k], sigma[i, k], z_u[k], xi[k], b[k]
                )
            )
            for k in range(causes)
        )
        assert got[i] == pytest.approx(expected, rel=1e-14)
    one_hot = np.eye(causes)[[2, 2, 2]]
    np.testing.assert_allclose(
        mixture_layer_expected_loss(retention, limit, one_hot, mu, sigma, z_u, xi, b),
        spliced_layer_expected_loss(retention, limit, mu[:, 2], sigma[:, 2], z_u[2], xi[2], b[2]),
        rtol=1e-15,
    )


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: spliced_lev(1e5, 11.0, 1.0, 1.0, 1.0, 0.5), "xi"),
        (lambda: spliced_mean(11.0, 1.0, 1.0, np.array([0.2, 1.5]), 0.5), "xi"),
        (lambda: spliced_lev(1e5, 11.0, 1.0, 1.0, 0.2, 0.0), "b must"),
        (lambda: spliced_survival(1e5, 11.0, 1.0, 1.0, 0.2, -1.0), "b must"),
        (lambda: spliced_lev(1e5, 11.0, 0.0, 1.0, 0.2, 0.5), "sigma"),
        (lambda: spliced_quantile(0.5, 11.0, -1.0, 1.0, 0.2, 0.5), "sigma"),
        (lambda: spliced_lev(1e5, 11.0, 1.0, math.inf, 0.2, 0.5), "z_u"),
        (lambda: spliced_lev(1e5, 11.0, 1.0, 800.0, 0.2, 0.5), "z_u"),
        (lambda: spliced_lev(-1.0, 11.0, 1.0, 1.0, 0.2, 0.5), "limit"),
        (lambda: spliced_layer_expected_loss(-5.0, 1e6, 11.0, 1.0, 1.0, 0.2, 0.5), "retention_usd"),
        (lambda: spliced_quantile(1.5, 11.0, 1.0, 1.0, 0.2, 0.5), "probability"),
        (
            lambda: mixture_layer_expected_loss(0.0, 1e6, [0.5, 0.4], 11.0, 1.0, 1.0, 0.2, 0.5),
            "sum to 1",
        ),
        (
            lambda: mixture_layer_expected_loss(0.0, 1e6, [1.5, -0.5], 11.0, 1.0, 1.0, 0.2, 0.5),
            ">= 0",
        ),
    ],
)
def test_bad_input_names_the_argument(call, word: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=word):
        call()
