"""GPD tail: known generators recovered within their standard errors, the threshold rule's counts.

Oracles: draws from scipy's ``genpareto`` (an implementation independent of
the one under test) with known (xi, b); the asymptotic GPD covariance of
Hosking & Wallis (1987), var(xi) = (1 + xi)^2 / n, var(b) = 2 b^2 (1 + xi) / n;
order-statistic standard deviations for the QQ points; the memoryless
exponential and the standard normal's inverse Mills ratio for the mean excess.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import genpareto, norm

from training.fitting.tail import (
    XI_MAX,
    XI_MIN,
    GpdTail,
    choose_threshold,
    fit_gpd,
    fit_tail,
    gpd_log_likelihood,
    gpd_quantile,
    mean_excess_points,
    qq_points,
)

# (xi, b, seed): the exponential limit, a cyber-like heavy tail, a bounded tail, a heavier one
KNOWN_TAILS = [(0.0, 1.0, 11), (0.3, 0.5, 12), (-0.2, 2.0, 13), (0.6, 0.8, 14)]


def draw_gpd(xi: float, b: float, n: int, seed: int) -> np.ndarray:
    return genpareto(c=xi, scale=b).rvs(size=n, random_state=np.random.default_rng(seed))


@pytest.mark.parametrize(("xi", "b"), [(0.0, 1.0), (0.3, 0.5), (-0.2, 2.0), (1e-12, 0.7)])
def test_log_likelihood_is_scipys_and_continuous_through_xi_zero(xi, b):
    y = draw_gpd(xi, b, 1000, 1)
    expected = float(np.sum(genpareto(c=xi, scale=b).logpdf(y)))
    assert gpd_log_likelihood(y, xi, b) == pytest.approx(expected, rel=1e-12)
    exponential = -y.size * math.log(b) - y.sum() / b
    # near xi = 0 the loglik is the exponential's + xi * sum(u^2 / 2 - u) + O(xi^2): ~1e-6 here
    for tiny in (1e-9, -1e-9):
        assert gpd_log_likelihood(y, tiny, b) == pytest.approx(exponential, abs=1e-4)
    assert gpd_log_likelihood(np.array([3.0]), -0.5, 1.0) == -math.inf  # beyond b/|xi| = 2


@pytest.mark.parametrize(("xi", "b", "seed"), KNOWN_TAILS)
def test_fit_recovers_a_known_gpd_within_three_standard_errors(xi, b, seed):
    y = draw_gpd(xi, b, 5000, seed)
    tail = fit_gpd(y)
    assert abs(tail.xi - xi) < 3 * tail.xi_se
    assert abs(tail.b - b) < 3 * tail.b_se
    # an MLE is at least as likely as the truth; the loglik is that of the fit
    assert tail.loglik >= gpd_log_likelihood(y, xi, b)
    assert tail.loglik == gpd_log_likelihood(y, tail.xi, tail.b)
    # observed information agrees with the expected (Hosking & Wallis) at n = 5000
    n = y.size
    assert tail.xi_se == pytest.approx((1 + tail.xi) / math.sqrt(n), rel=0.10)
    assert tail.b_se == pytest.approx(tail.b * math.sqrt(2 * (1 + tail.xi) / n), rel=0.10)
    assert tail.exceedances == n and math.isnan(tail.z_u) and not tail.at_bound


def test_fit_is_a_maximum_not_just_better_than_the_truth():
    y = draw_gpd(0.3, 0.5, 5000, 21)
    tail = fit_gpd(y)
    for dxi, db in [(1e-3, 0), (-1e-3, 0), (0, 1e-3), (0, -1e-3), (1e-3, 1e-3), (-1e-3, -1e-3)]:
        assert gpd_log_likelihood(y, tail.xi + dxi, tail.b + db) < tail.loglik
    again = fit_gpd(y)  # deterministic: no random step in the fit
    assert (again.xi, again.b, again.xi_se, again.b_se) == (tail.xi, tail.b, tail.xi_se, tail.b_se)


@pytest.mark.parametrize(("xi", "bound"), [(1.5, XI_MAX), (-0.8, XI_MIN)])
def test_a_tail_outside_the_bounds_is_fitted_on_the_bound_without_errors(xi, bound):
    # xi = 1.5 has no finite mean, xi = -0.8 is past the regular -1/2: the constrained
    # MLE sits on the bound, where the observed information is no standard error
    tail = fit_gpd(draw_gpd(xi, 1.0, 2000, 22))
    assert tail.xi == pytest.approx(bound) and tail.at_bound
    assert math.isnan(tail.xi_se) and math.isnan(tail.b_se)


@pytest.mark.parametrize("bad", [[1.0, 2.0], [1.0, 0.0, 2.0], [1.0, -1.0, 2.0], [1.0, np.inf, 2.0]])
def test_fit_gpd_rejects_bad_excesses(bad):
    with pytest.raises(ValueError, match="relative excesses > 0"):
        fit_gpd(np.array(bad))


def test_threshold_leaves_the_target_share_above():
    z = np.random.default_rng(31).standard_normal(1000)
    z_u, k = choose_threshold(z)
    assert k == 100 == np.sum(z > z_u)
    assert z_u in z  # an observed claim's z: it sits at its threshold, not above
    assert choose_threshold(z, share=0.25) == (np.sort(z)[749], 250)


def test_threshold_never_leaves_fewer_than_the_minimum_count():
    z = np.random.default_rng(32).standard_normal(300)  # 10% would be 30
    z_u, k = choose_threshold(z)
    assert k == 50 == np.sum(z > z_u)
    _, k = choose_threshold(z, min_exceedances=20)
    assert k == 30


def test_ties_at_the_cut_stay_above():
    z = np.concatenate([np.linspace(-2.0, 0.0, 90), np.full(20, 1.0)])  # 20 tied at the top
    z_u, k = choose_threshold(z, share=0.10, min_exceedances=5)  # target 11
    assert z_u == 0.0 and k == 20


@pytest.mark.parametrize("n", [30, 50])
def test_too_few_claims_name_both_counts(n):
    z = np.random.default_rng(33).standard_normal(n)
    with pytest.raises(ValueError, match=rf"^{n} claims, but the tail needs at least 50 exceed"):
        choose_threshold(z)
    assert choose_threshold(np.random.default_rng(33).standard_normal(51))[1] == 50


def draw_splice(n: int, xi: float, b: float, z_u: float, seed: int):
    """Claims by inverse CDF: lognormal body below t_i = exp(mu_i + sigma_i z_u), GPD excess above."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(11.0, 1.5, n)  # log USD: claims around 60k USD
    sigma = rng.choice([1.2, 1.6, 2.1], n)  # one sigma per cause
    u = rng.random(n)
    body_share = norm.cdf(z_u)
    body = u < body_share
    z = np.where(body, norm.ppf(np.where(body, u, 0.5)), z_u)
    relative = genpareto(c=xi, scale=b).ppf(
        np.where(body, 0.0, (u - body_share) / (1 - body_share))
    )
    return np.exp(mu + sigma * z) * (1.0 + relative), mu, sigma


SPLICE_CLAIMS, SPLICE_Z_U = 20_000, float(norm.ppf(0.90))  # the true tail holds 10% of claims


@pytest.mark.parametrize("xi", [0.3, 0.5])
def test_fit_tail_recovers_the_tail_of_a_known_splice(xi):
    # b = xi: X / t_i is Pareto, so over any higher threshold t_i * c the relative excess is
    # again exactly GPD(xi, xi), whatever the claim's sigma. With share 8% < 10% the fitted
    # threshold lies inside the true tail (the splice's 92% quantile of z is 9 of its
    # standard deviations above z_u), no body claim enters, and the 1,600 excesses are an
    # i.i.d. GPD sample: 3 standard errors is a 3-sigma test. (At share = the true 10% the
    # fitted z_u falls below the true one about half the time, body claims enter and every
    # excess shifts: over 40 seeds a bias of ~0.5-1 SE, up to 5.6 SE on one seed.)
    loss, mu, sigma = draw_splice(SPLICE_CLAIMS, xi, xi, SPLICE_Z_U, 41)
    tail = fit_tail(loss, mu, sigma, share=0.08)
    assert tail.exceedances == 1600 and tail.z_u > SPLICE_Z_U
    assert abs(tail.xi - xi) < 3 * tail.xi_se
    assert abs(tail.b - xi) < 3 * tail.b_se


def test_fit_tail_threshold_of_a_known_splice_is_its_true_z_u():
    loss, mu, sigma = draw_splice(SPLICE_CLAIMS, 0.3, 0.5, SPLICE_Z_U, 43)
    tail = fit_tail(loss, mu, sigma)
    assert tail.exceedances == 2000
    # the sample 90% quantile of z: sd sqrt(0.9 * 0.1 / n) / phi(z_u) = 0.012
    quantile_sd = math.sqrt(0.09 / SPLICE_CLAIMS) / norm.pdf(SPLICE_Z_U)
    assert abs(tail.z_u - SPLICE_Z_U) < 3 * quantile_sd
    assert tail.exceedance_probability == pytest.approx(
        0.10, abs=3 * norm.pdf(SPLICE_Z_U) * quantile_sd
    )


def test_fit_tail_excesses_are_relative_to_each_claims_threshold():
    # two cities e^5 apart (mu 8 and 13 log USD) with the same relative excesses over their
    # own thresholds pool into one tail: fit_tail fits exactly those excesses
    y = draw_gpd(0.3, 0.5, 200, 42)
    body_z = np.linspace(-2.0, 0.9, 1800)  # the top body claim sits at z = 0.9
    tail_mu = np.repeat([8.0, 13.0], 100)
    mu = np.concatenate([np.full(1800, 10.0), tail_mu])
    loss = np.concatenate([np.exp(10.0 + 1.5 * body_z), np.exp(tail_mu + 1.5 * 0.9) * (1.0 + y)])
    tail = fit_tail(loss, mu, 1.5)
    assert tail.z_u == pytest.approx(0.9, abs=1e-12) and tail.exceedances == 200
    direct = fit_gpd(y, z_u=0.9)
    assert tail.xi == pytest.approx(direct.xi, rel=1e-6)
    assert tail.b == pytest.approx(direct.b, rel=1e-6)


def test_qq_points_of_the_true_model_lie_on_the_diagonal():
    xi, b, n = 0.3, 0.5, 5000
    y = draw_gpd(xi, b, n, 51)
    model, empirical = qq_points(GpdTail(math.nan, xi, b, n, math.nan, math.nan, math.nan), y)
    p = (np.arange(1, n + 1) - 0.5) / n
    read = (p >= 0.10) & (p <= 0.99)  # the top 1% (50 points) scatter O(1) even for the truth
    # sd of a sample p-quantile relative to it: sqrt(p(1-p)/n) / (f(Q) Q), at most 0.056 here
    # (at p = 0.99); the bound is 4.5 of those
    relative_sd = np.sqrt(p * (1 - p) / n) / ((1 - p) ** (1 + xi) / b) / model
    bound = 4.5 * relative_sd[read].max()
    assert bound == pytest.approx(0.25, abs=0.005)
    assert np.max(np.abs(empirical / model - 1)[read]) < bound
    # the diagnostic sees a wrong tail: the exponential of the same mean is off by ~0.5
    wrong = GpdTail(math.nan, 0.0, float(y.mean()), n, math.nan, math.nan, math.nan)
    off, _ = qq_points(wrong, y)
    assert np.max(np.abs(empirical / off - 1)[read]) > 0.4


def test_qq_points_use_the_plotting_positions():
    model, empirical = qq_points(GpdTail(0.0, 0.0, 2.0, 2, 0.0, 0.0, 0.0), [5.0, 1.0])
    assert np.allclose(model, [-2.0 * math.log(0.75), -2.0 * math.log(0.25)])
    assert list(empirical) == [1.0, 5.0]
    assert np.allclose(gpd_quantile([0.5], 0.5, 1.0), [(2**0.5 - 1) / 0.5])


def test_mean_excess_is_flat_for_exponential_and_normal_for_normal():
    rng = np.random.default_rng(61)
    # memoryless: E[Z - u | Z > u] = 1 at every u for a unit exponential
    flat = mean_excess_points(1.0 + rng.exponential(1.0, 20_000), min_count=400)
    assert np.all(np.abs(flat.mean_excess_z - 1.0) < 4 * flat.standard_error)
    assert flat.exceedances[-1] == 400 and len(flat.threshold_z) == 50
    # the lognormal body alone: the standard normal's phi(u)/(1 - Phi(u)) - u
    body = mean_excess_points(rng.standard_normal(20_000), min_count=400)
    gap = np.abs(body.mean_excess_z - body.normal_mean_excess_z)
    assert np.all(gap < 4 * body.standard_error)


def test_mean_excess_on_given_thresholds():
    points = mean_excess_points([1.0, 2.0, 4.0], thresholds=[0.0, 1.5, 4.0])
    assert np.allclose(points.mean_excess_z[:2], [7 / 3, 1.5])
    assert math.isnan(points.mean_excess_z[2]) and list(points.exceedances) == [3, 2, 0]
    assert points.normal_mean_excess_z[0] == pytest.approx(math.sqrt(2 / math.pi))
