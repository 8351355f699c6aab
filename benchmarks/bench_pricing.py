"""How long one ``price_policy`` call takes in-process, and where the time goes.

    python benchmarks/bench_pricing.py [--calls 3000] [--seed 0]

Prices a seeded mix of policies (small insureds to large cities, seven
causes each with its own rate, lognormal body and GPD tail, limits
$250k-$100M, retentions $0-$1M, some parts left out, fines capped or not) and
prints the median time per call over ``--calls`` calls, the median per
policy of ``price_policies`` on batches of 100 of the same policies, then the
median of each step of one call timed on its own: layer (covered loss of one claim: the cause
mixture, coverage parts and fines cap), aggregate (compound Poisson with the
aggregate limit: expected loss, quantiles, TVaR), loads (premium from the
plan), causes (each cause's part of the quote), decision (rules).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from models.pricing.aggregate import layer_aggregate_loss
from models.pricing.cause_losses import CauseLosses, SeverityTails
from models.pricing.decision import decide
from models.pricing.premium import (
    PolicyTerms,
    cause_quotes,
    covered_loss_for,
    premium_from_aggregate,
)
from models.pricing.pricer import PolicyToPrice, price_policies, price_policy
from models.pricing.rating_plan_reader import shipped_rating_plan
from models.spec.contract import CLAIM_CAUSES, COVERAGE_PARTS

EXPOSURE: dict[str, Any] = {
    "annual_revenue_usd": 300e6,
    "privacy_regime": "gdpr",
    "internet_exposed_devices": 3,
    "ot_remote_access": "vpn",
    "mfa_remote": "partial",
    "backup_isolation": "online",
    "restore_test_months": 12,
    "vendor_access_control": "partial",
    "vendors_with_remote_access": 5,
    "public_face_recognition": True,
    "dpia_coverage_pct": 80.0,
}


Policy = tuple[CauseLosses, PolicyTerms, dict[str, Any]]


def _policies(n: int, seed: int) -> list[Policy]:
    rng = np.random.default_rng(seed)
    k = len(CLAIM_CAUSES)
    out = []
    for _ in range(n):
        total = float(10 ** rng.uniform(-2, 0.3))  # 1% to 2 claims a year
        rate = total * rng.dirichlet(np.ones(k))
        mu = np.log(10 ** rng.uniform(4, 6, k))  # median loss $10k-$1M
        sigma = rng.uniform(1.0, 2.0, k)
        tails = SeverityTails(
            z_u=rng.uniform(1.0, 2.0, k), xi=rng.uniform(0.0, 0.5, k), b=rng.uniform(0.3, 1.2, k)
        )
        limit = float(rng.choice([250e3, 1e6, 5e6, 10e6, 25e6, 100e6]))
        retention = float(min(rng.choice([0.0, 10e3, 50e3, 250e3, 1e6]), limit / 2))
        parts = (
            COVERAGE_PARTS
            if rng.random() < 0.7
            else tuple(p for p in COVERAGE_PARTS if rng.random() < 0.6)
        )
        regime = str(rng.choice(["gdpr", "pipl", "ccpa", "other"]))
        out.append(
            (
                CauseLosses(rate, mu, sigma, tails),
                PolicyTerms(limit, retention, parts or COVERAGE_PARTS),
                dict(EXPOSURE, privacy_regime=regime),
            )
        )
    return out


def _median_us(step: Callable[[int], object], n: int) -> float:
    times = np.empty(n)
    for i in range(n):
        start = time.perf_counter_ns()
        step(i)
        times[i] = time.perf_counter_ns() - start
    return float(np.median(times)) / 1e3


BATCH = 100  # a broker's schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    plan = shipped_rating_plan()
    policies = _policies(args.calls, args.seed)
    n = len(policies)
    for losses, terms, exposure in policies[:200]:  # warm caches and imports
        price_policy(losses, terms, exposure, 50.0, plan)

    def full(i: int) -> object:
        losses, terms, exposure = policies[i]
        return price_policy(losses, terms, exposure, 50.0, plan)

    covered = [covered_loss_for(plan, t.coverages, c, e) for c, t, e in policies]
    levels = (0.9, 0.99, 0.995)
    aggregates = [
        layer_aggregate_loss(
            cov, float(c.rate.sum()) * t.period_years, t.retention_usd, t.limit_usd, levels
        )
        for cov, (c, t, _) in zip(covered, policies, strict=True)
    ]
    premiums = [
        premium_from_aggregate(plan, a, cov).technical_premium_usd
        for a, cov in zip(aggregates, covered, strict=True)
    ]
    steps: dict[str, Callable[[int], object]] = {
        "layer": lambda i: covered_loss_for(
            plan, policies[i][1].coverages, policies[i][0], policies[i][2]
        ),
        "aggregate": lambda i: layer_aggregate_loss(
            covered[i],
            float(policies[i][0].rate.sum()) * policies[i][1].period_years,
            policies[i][1].retention_usd,
            policies[i][1].limit_usd,
            levels,
        ),
        "loads": lambda i: premium_from_aggregate(plan, aggregates[i], covered[i]),
        "causes": lambda i: cause_quotes(
            policies[i][0],
            covered[i].layer_expected_loss_by_cause(
                policies[i][1].retention_usd, policies[i][1].limit_usd
            ),
            aggregates[i].expected_usd,
        ),
        "decision": lambda i: decide(
            plan.decision, 50.0, policies[i][1].limit_usd, policies[i][2], premiums[i]
        ),
    }
    total = _median_us(full, n)
    print(
        f"price_policy: median {total:.0f} us per call over {n} calls ({1e6 / total:,.0f} calls/s on one core)"
    )
    for name, step in steps.items():
        print(f"  {name:<10} median {_median_us(step, n):7.1f} us")
    batch = [PolicyToPrice(c, t, e, 50.0) for c, t, e in policies]
    per_policy = []
    for start in range(0, n - BATCH + 1, BATCH):  # price_policies: the aggregates in one pass
        t0 = time.perf_counter()
        price_policies(batch[start : start + BATCH], plan)
        per_policy.append((time.perf_counter() - t0) / BATCH * 1e6)
    if per_policy:
        middle = float(np.median(per_policy))
        print(
            f"price_policies, batches of {BATCH}: median {middle:.0f} us per policy "
            f"({len(per_policy)} batches; {total / middle:.1f}x price_policy)"
        )
    finite = all(math.isfinite(a.expected_usd) for a in aggregates)
    print(f"  all {n} expected losses finite: {finite}")


if __name__ == "__main__":
    main()
