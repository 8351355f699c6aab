"""``train --dask``: the same bundle twice for one seed and worker count; close to one process.

Oracles: the first dask run (a second must predict exactly the same, with
the default row subsampling, which each worker draws for its own rows), and
the single-process bundle trained on the same portfolio, seed and booster
settings, within the README's tolerance: Spearman rank correlation of
expected annual loss >= 0.99 and total expected loss within 2%. The
tolerance is held without row subsampling (``subsample=1``): with it, the
rows each tree sees differ between one process and the workers by design,
and on this 3,000-policy portfolio that sampling noise alone gives a rank
correlation of 0.983 (README, "Distributed runs").
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy.stats import spearmanr

from models.scoring.batch import score_policies
from models.versions.registry import Registry
from tests.support.portfolio import TEST_SEED, small_params
from tests.training.distributed.conftest import DISTRIBUTED_TEST_TIMEOUT_S
from training.bordereau.reader import read_policies
from training.distributed.arguments import booster_fits
from training.pipeline import train_bundle

pytestmark = pytest.mark.timeout(2 * DISTRIBUTED_TEST_TIMEOUT_S)

_CREATED = datetime(2026, 12, 1, tzinfo=UTC)


def _train(portfolio_dir, registry, params, address):
    with booster_fits(address) as boosters:
        return train_bundle(
            portfolio_dir / "policies.csv",
            portfolio_dir / "claims.csv",
            registry,
            seed=TEST_SEED,
            params=params,
            created_at=_CREATED,
            compare_active=False,
            boosters=boosters,
        )


@pytest.fixture(scope="module")
def dask_versions(portfolio_dir, tmp_path_factory, dask_address):
    """Two bundles trained on the cluster with one seed: (registry, version) each."""
    out = []
    for run in ("first", "second"):
        registry = Registry(tmp_path_factory.mktemp(f"dask-{run}"))
        out.append((registry, _train(portfolio_dir, registry, small_params(), dask_address)))
    return out


def _expected_loss(registry, version, policies):
    scores = score_policies(registry.load(version), policies)
    return scores["expected_annual_ground_up_loss_usd"].to_numpy()


def test_two_runs_with_one_seed_give_the_same_bundle(dask_versions, portfolio_dir):
    (first, v1), (second, v2) = dask_versions
    assert v1 == v2  # the version name carries the hash of every booster and the metadata
    policies = read_policies(portfolio_dir / "policies.csv")
    np.testing.assert_array_equal(
        _expected_loss(first, v1, policies), _expected_loss(second, v2, policies)
    )


def test_cluster_fit_is_within_the_readme_tolerance_of_one_process(
    portfolio_dir, tmp_path, dask_address
):
    params = dataclasses.replace(small_params(), subsample=1.0)
    policies = read_policies(portfolio_dir / "policies.csv")
    one, spread_registry = Registry(tmp_path / "one"), Registry(tmp_path / "dask")
    single = _expected_loss(one, _train(portfolio_dir, one, params, None), policies)
    version = _train(portfolio_dir, spread_registry, params, dask_address)
    spread = _expected_loss(spread_registry, version, policies)
    assert spearmanr(spread, single).statistic >= 0.99
    assert abs(spread.sum() / single.sum() - 1.0) <= 0.02
