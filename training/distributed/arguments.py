"""The ``--dask ADDRESS`` option that ``train``, ``score`` and ``accumulate`` share (CONTRACT §9)."""

from __future__ import annotations

import argparse


def add_dask_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on a Dask cluster: a scheduler address (tcp://host:8786) or local:N "
        "(N local worker processes, started and stopped by the command); default: one process",
    )
