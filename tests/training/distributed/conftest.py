"""One local Dask cluster for the whole test session (two worker processes).

A cluster per test would cost seconds each (process start, imports); the
dashboard binds a free port so that parallel runs never clash on 8787. The
tests hand its scheduler address to ``--dask``, as a user would a real one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

#: Seconds a distributed test may take before it fails instead of hanging.
DISTRIBUTED_TEST_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def dask_address() -> Iterator[str]:
    """The scheduler address of a session-wide LocalCluster of 2 single-threaded processes."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster, timeout=30),
    ):
        yield cluster.scheduler_address
