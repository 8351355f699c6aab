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
