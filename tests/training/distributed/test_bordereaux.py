"""``train --dask`` checks the policies on the workers: the same typed policies and defects as one process.

Oracle: ``load_bordereaux`` in this process on the same files. The
partitions are cut small (the test portfolio's 3,000 policies in several
blocks) so that every row, defect and repeat falls across partitions.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.training.distributed.conftest import DISTRIBUTED_TEST_TIMEOUT_S
from training.bordereau.reader import BordereauError, load_bordereaux
from training.distributed.bordereaux import load_on_cluster

pytestmark = pytest.mark.timeout(2 * DISTRIBUTED_TEST_TIMEOUT_S)

_BLOCK_BYTES = 150_000


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr("training.distributed.partitions.BLOCKSIZE", _BLOCK_BYTES)


def _on_cluster(dask_address, policies, claims):
    from distributed import Client

    with Client(dask_address, timeout=30) as client:
        return load_on_cluster(client, dask_address, policies, claims, DISTRIBUTED_TEST_TIMEOUT_S)


def _defects(report) -> list[str]:
    """Each defect as printed, without the CSV line, which --dask does not give for policies."""
    return sorted(re.sub(r" \(line \d+\)", "", d.format()) for d in report.defects)


def test_the_typed_policies_and_claims_equal_one_process(portfolio_dir, dask_address, small_blocks):
    policies, claims = portfolio_dir / "policies.csv", portfolio_dir / "claims.csv"
    assert policies.stat().st_size > 3 * _BLOCK_BYTES  # several partitions
    one = load_bordereaux(policies, claims)
    spread = _on_cluster(dask_address, policies, claims)
    pd.testing.assert_frame_equal(spread.policies, one.policies)
    pd.testing.assert_frame_equal(spread.claims, one.claims)
    assert spread.report.summary == one.report.summary


def test_defects_across_partitions_are_named_as_one_process_names_them(
    portfolio_dir, dask_address, small_blocks, tmp_path
):
    policies = pd.read_csv(portfolio_dir / "policies.csv", dtype=str, keep_default_na=False)
    claims = pd.read_csv(portfolio_dir / "claims.csv", dtype=str, keep_default_na=False)
    policies.loc[2500, "population"] = "-5"  # a late partition
    policies.loc[[1500, 2800], "policy_id"] = policies.loc[4, "policy_id"]  # repeats across them
    claims.loc[0, "policy_id"] = "NO-SUCH-POLICY"
    broken_policies, broken_claims = tmp_path / "policies.csv", tmp_path / "claims.csv"
    policies.to_csv(broken_policies, index=False)
    claims.to_csv(broken_claims, index=False)
    with pytest.raises(BordereauError) as one:
        load_bordereaux(broken_policies, broken_claims)
    with pytest.raises(BordereauError) as spread:
        _on_cluster(dask_address, broken_policies, broken_claims)
    expected = _defects(one.value.report)
    assert len(expected) == 4  # the population, two repeats, the unknown policy (and its claims)
    assert _defects(spread.value.report) == expected, expected


def test_a_policies_file_without_policy_ids_gives_one_process_s_defects(
    portfolio_dir, dask_address, small_blocks, tmp_path
):
    policies = pd.read_csv(portfolio_dir / "policies.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "policies.csv"
    policies.drop(columns=["policy_id"]).to_csv(path, index=False)
    claims = portfolio_dir / "claims.csv"
    with pytest.raises(BordereauError) as one:
        load_bordereaux(path, claims)
    with pytest.raises(BordereauError) as spread:
        _on_cluster(dask_address, path, claims)
    expected = _defects(one.value.report)
    assert any("policy_id" in d for d in expected)  # the missing column, and no claim flagged
    assert _defects(spread.value.report) == expected
