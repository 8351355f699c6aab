"""``--dask ADDRESS``: what an address means, and the errors that name the scheduler."""

from __future__ import annotations

import pytest

from tests.training.distributed.conftest import DISTRIBUTED_TEST_TIMEOUT_S
from training.cli import main
from training.distributed.cluster import parse_address
from training.errors import TrainingInputError

pytestmark = pytest.mark.timeout(DISTRIBUTED_TEST_TIMEOUT_S)


def test_local_and_scheduler_addresses():
    assert parse_address("local:3").local_workers == 3
    scheduler = parse_address(" tcp://10.0.0.5:8786 ")
    assert (scheduler.text, scheduler.local_workers) == ("tcp://10.0.0.5:8786", None)


@pytest.mark.parametrize("text", ["local:0", "local:x", "local", "scheduler"])
def test_a_bad_address_says_what_is_expected(text):
    with pytest.raises(TrainingInputError, match=r"--dask .*local:N"):
        parse_address(text)


def test_train_against_an_unreachable_scheduler_writes_no_bundle(
    portfolio_dir, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr("training.distributed.cluster.CONNECT_TIMEOUT_S", 2.0)
    address = "tcp://127.0.0.1:9"
    models = tmp_path / "bundles"
    argv = ["train", "--policies", str(portfolio_dir / "policies.csv"),
            "--claims", str(portfolio_dir / "claims.csv"), "--models-dir", str(models)]  # fmt: skip
    assert main([*argv, "--dask", address]) == 1
    err = capsys.readouterr().err
    assert f"cannot reach the scheduler {address}" in err
    assert "Traceback" not in err
    assert not models.exists() or not any(models.iterdir())


def test_a_dying_worker_fails_the_run_naming_the_scheduler():
    """A worker process that exits mid-task: a ClusterError, not a hang or a traceback."""
    import os

    import dask
    from distributed import Client, LocalCluster

    from training.distributed.cluster import ClusterError, gather_all

    # no retry on another worker: the first death is the run's failure
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster, timeout=30) as client,
    ):
        address = cluster.scheduler_address
        doomed = client.submit(os._exit, 1, pure=False)
        with pytest.raises(ClusterError, match=f"the run on {address} failed"):
            gather_all(client, [doomed], address, 60.0)
