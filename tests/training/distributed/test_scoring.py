"""``score --dask``: the same table as one process, to 1e-9 relative; defects and failures named."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.support.portfolio import make_portfolio
from tests.training.distributed.conftest import DISTRIBUTED_TEST_TIMEOUT_S
from training.cli import main

pytestmark = pytest.mark.timeout(DISTRIBUTED_TEST_TIMEOUT_S)

#: Small CSV blocks so that the 2,000-row file has several partitions.
_BLOCK_BYTES = 200_000


@pytest.fixture(scope="module")
def policies_csv(tmp_path_factory):
    policies = make_portfolio(2000, 77).policies
    policies["limit_usd"] = np.where(np.arange(len(policies)) % 3 == 0, 5_000_000.0, np.nan)
    path = tmp_path_factory.mktemp("dask-score") / "policies.csv"
    policies.to_csv(path, index=False)
    return path


def _score(policies, out, registry, *extra):
    argv = ["score", "--policies", str(policies), "--out", str(out)]
    return main([*argv, "--models-dir", str(registry.root), *extra])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cluster_scores_equal_one_process(
    trained_registry, policies_csv, tmp_path, dask_address, monkeypatch, suffix
):
    monkeypatch.setattr("training.distributed.partitions.BLOCKSIZE", _BLOCK_BYTES)
    single, spread = tmp_path / f"one{suffix}", tmp_path / f"dask{suffix}"
    assert _score(policies_csv, single, trained_registry) == 0
    assert _score(policies_csv, spread, trained_registry, "--dask", dask_address) == 0
    read = pd.read_csv if suffix == ".csv" else pd.read_parquet
    expected, got = read(single), read(spread)
    assert list(got.columns) == list(expected.columns)
    assert got["policy_id"].tolist() == expected["policy_id"].tolist()
    numbers = expected.columns.drop("policy_id")
    np.testing.assert_allclose(got[numbers], expected[numbers], rtol=1e-9, atol=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([single.name, spread.name])


def test_a_defect_names_file_row_and_column_of_the_whole_file(
    trained_registry, policies_csv, tmp_path, dask_address, monkeypatch, capsys
):
    monkeypatch.setattr("training.distributed.partitions.BLOCKSIZE", _BLOCK_BYTES)
    broken = pd.read_csv(policies_csv, dtype=str, keep_default_na=False)
    broken.loc[1733, "population"] = "-5"  # row 1734 of the file, in a later partition
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    out = tmp_path / "scores.csv"
    assert _score(path, out, trained_registry, "--dask", dask_address) == 1
    err = capsys.readouterr().err
    assert f"{path}, row 1734, column population, value '-5'" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.csv"]


def _id_defects(err: str) -> list[str]:
    """The policy_id defects printed, without the CSV line, which --dask does not give."""
    lines = (re.sub(r"^error: | \(line \d+\)", "", line.strip()) for line in err.splitlines())
    return sorted(line for line in lines if "column policy_id" in line)


def test_a_policy_id_repeated_across_partitions_is_named_as_one_process_names_it(
    trained_registry, policies_csv, tmp_path, dask_address, monkeypatch, capsys
):
    monkeypatch.setattr("training.distributed.partitions.BLOCKSIZE", _BLOCK_BYTES)
    broken = pd.read_csv(policies_csv, dtype=str, keep_default_na=False)
    first = broken.loc[2, "policy_id"]  # row 3 of the file, in the first partition
    # two later rows, in one later partition (a repeat there too) and in another
    broken.loc[[1000, 1001, 1733], "policy_id"] = first
    path = tmp_path / "repeated.csv"
    broken.to_csv(path, index=False)
    assert _score(path, tmp_path / "one.csv", trained_registry) == 1
    one = _id_defects(capsys.readouterr().err)
    assert _score(path, tmp_path / "dask.csv", trained_registry, "--dask", dask_address) == 1
    spread = _id_defects(capsys.readouterr().err)
    assert len(one) == 3 and spread == one  # rows 1001, 1002 and 1734, each "first in row 3"
    assert "(first in row 3)" in spread[0] and "row 1001," in spread[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repeated.csv"]


def test_an_unreachable_scheduler_is_named(
    trained_registry, policies_csv, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("training.distributed.cluster.CONNECT_TIMEOUT_S", 2.0)
    out = tmp_path / "scores.csv"
    # port 9 (discard) on the loopback: nothing listens, the connection is refused at once
    address = "tcp://127.0.0.1:9"
    assert _score(policies_csv, out, trained_registry, "--dask", address) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the scheduler {address}" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_parquet_file_is_scored_by_row_groups(
    trained_registry, policies_csv, tmp_path, dask_address
):
    frame = pd.read_csv(policies_csv, dtype=str, keep_default_na=False)
    source = tmp_path / "policies.parquet"
    frame.to_parquet(source, index=False, row_group_size=500)  # 4 partitions
    single, spread = tmp_path / "one.parquet", tmp_path / "dask.parquet"
    assert _score(source, single, trained_registry) == 0
    assert _score(source, spread, trained_registry, "--dask", dask_address) == 0
    expected, got = pd.read_parquet(single), pd.read_parquet(spread)
    assert got["policy_id"].tolist() == expected["policy_id"].tolist()
    numbers = expected.columns.drop("policy_id")
    np.testing.assert_allclose(got[numbers], expected[numbers], rtol=1e-9, atol=0)
