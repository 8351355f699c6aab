"""``accumulate --dask``: the same files as one process for the same seed, byte for byte."""

from __future__ import annotations

import pytest

from tests.support.book import write_book
from tests.training.distributed.conftest import DISTRIBUTED_TEST_TIMEOUT_S
from training.accumulation_output import OUTPUT_FILES
from training.cli import main

pytestmark = pytest.mark.timeout(DISTRIBUTED_TEST_TIMEOUT_S)

YEARS = 2000
SEED = 7
#: Cities x years of one block: 8 cities a block, so the 60-city book is 8 tasks.
_BLOCK_CELLS = 8 * YEARS


@pytest.fixture(scope="module")
def book_file(tmp_path_factory):
    return write_book(tmp_path_factory.mktemp("dask-book"), n=60, seed=5)


@pytest.mark.parametrize("extra", [[], ["--no-attritional"]], ids=["attritional", "events"])
def test_cluster_run_writes_the_same_files(
    book_file, trained_registry, tmp_path, dask_address, monkeypatch, extra
):
    monkeypatch.setattr("models.accumulation.simulation._BLOCK_CELLS", _BLOCK_CELLS)
    argv = ["accumulate", "--book", str(book_file), "--years", str(YEARS), "--seed", str(SEED),
            "--models-dir", str(trained_registry.root), *extra]  # fmt: skip
    one, spread = tmp_path / "one", tmp_path / "dask"
    assert main([*argv, "--out", str(one)]) == 0
    assert main([*argv, "--out", str(spread), "--dask", dask_address]) == 0
    assert sorted(p.name for p in spread.iterdir()) == sorted(OUTPUT_FILES)
    for name in OUTPUT_FILES:
        assert (spread / name).read_bytes() == (one / name).read_bytes(), name


def test_a_lost_scheduler_leaves_no_folder(book_file, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("training.distributed.cluster.CONNECT_TIMEOUT_S", 2.0)
    out = tmp_path / "never"
    address = "tcp://127.0.0.1:9"
    argv = ["accumulate", "--book", str(book_file), "--years", "100", "--no-attritional"]
    assert main([*argv, "--out", str(out), "--dask", address]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the scheduler {address}" in err
    assert "Traceback" not in err
    assert not out.exists()
