"""The ``--dask ADDRESS`` option that ``train``, ``score`` and ``accumulate`` share (CONTRACT §9)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.fitting.boosters import BoosterFits


def add_dask_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on a Dask cluster: a scheduler address (tcp://host:8786) or local:N "
        "(N local worker processes, started and stopped by the command); default: one process",
    )


@contextlib.contextmanager
def booster_fits(address: str | None) -> Iterator[BoosterFits | None]:
    """``train``'s boosters on the cluster of ``--dask`` for the run; None without it."""
    if not address:
        yield None
        return
    # imported here: a run without --dask never loads dask or distributed
    from training.distributed.boosters import DaskBoosterFits
    from training.distributed.cluster import dask_client

    with dask_client(address) as client:
        yield DaskBoosterFits(client, address)
