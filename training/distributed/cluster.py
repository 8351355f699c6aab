"""The cluster behind ``--dask ADDRESS``: a scheduler address or ``local:N``.

``tcp://host:8786`` (any address ``distributed.Client`` takes) connects to a
running scheduler; ``local:N`` starts a ``LocalCluster`` of N
worker processes (each with its share of the cores) for the length of the command and stops it afterwards. Its
dashboard binds a free port (``":0"``): the fixed 8787 clashes when two runs
share a machine.

Failures become one ``TrainingInputError`` that names the scheduler: it
cannot be reached within ``CONNECT_TIMEOUT_S``, or a worker died (a task's
worker left, ``KilledWorker``), or a collective step took longer than its
timeout (a leaving worker can otherwise hang a gather forever).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from training.errors import TrainingInputError

if TYPE_CHECKING:
    from distributed import Client

#: Seconds to reach a scheduler before the command gives up.
CONNECT_TIMEOUT_S = 10.0
#: Default seconds one collective step (a gather of every partition) may take.
COLLECTIVE_TIMEOUT_S = 3600.0
_LOCAL = re.compile(r"local:(\d+)")
_MAX_LOCAL_WORKERS = 256


@dataclass(frozen=True)
class ClusterAddress:
    """What ``--dask`` named: a local cluster of ``local_workers`` processes, or a scheduler."""

    text: str
    local_workers: int | None

    @property
    def scheduler_name(self) -> str:
        """How errors name the scheduler."""
        return f"the local cluster ({self.text})" if self.local_workers else self.text


def parse_address(text: str) -> ClusterAddress:
    """``local:N`` (1 <= N <= 256) or a scheduler address such as ``tcp://host:8786``."""
    text = text.strip()
    match = _LOCAL.fullmatch(text)
    if match:
        workers = int(match.group(1))
        if not 1 <= workers <= _MAX_LOCAL_WORKERS:
            raise TrainingInputError(f"--dask {text}: local:N needs 1 <= N <= {_MAX_LOCAL_WORKERS}")
        return ClusterAddress(text, workers)
    if text.startswith("local") or ":" not in text:
        raise TrainingInputError(
            f"--dask {text!r}: give a scheduler address (tcp://host:8786) or local:N"
        )
    return ClusterAddress(text, None)


class ClusterError(TrainingInputError):
    """The cluster failed the command (unreachable, a worker died, a timeout)."""


def cluster_failure(address: ClusterAddress, exc: BaseException) -> ClusterError:
    """The one message for a failed collective step, naming the scheduler."""
    what = type(exc).__name__
    detail = (str(exc).strip().splitlines() or [what])[0][:300]
    return ClusterError(
        f"--dask {address.text}: the run on {address.scheduler_name} failed ({what}: {detail}); "
        "nothing was written"
    )


@contextlib.contextmanager
def dask_client(text: str) -> Iterator[Client]:
    """A connected ``distributed.Client`` for ``--dask text``; a local cluster is stopped after."""
    address = parse_address(text)
    # imported here: a run without --dask never loads distributed
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        try:
            if address.local_workers:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=address.local_workers,
                        threads_per_worker=max(1, (os.cpu_count() or 1) // address.local_workers),
                        processes=True,
                        dashboard_address=":0",
                    )
                )
                client = stack.enter_context(Client(cluster, timeout=CONNECT_TIMEOUT_S))
            else:
                client = stack.enter_context(Client(address.text, timeout=CONNECT_TIMEOUT_S))
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(
                f"--dask {address.text}: cannot reach the scheduler {address.scheduler_name} "
                f"within {CONNECT_TIMEOUT_S:.0f} s ({type(exc).__name__}: {exc})"
            ) from exc
        yield client


def gather_all(
    client: Client, futures: list[Any], address_text: str, timeout_s: float
) -> list[Any]:
    """Every future's result, or a ClusterError naming the scheduler (timeout, dead worker, ...)."""
    from distributed import wait

    try:
        wait(futures, timeout=timeout_s)
        return list(client.gather(futures))
    except TrainingInputError:
        raise
    except Exception as exc:  # KilledWorker, CommClosedError, TimeoutError: all end the run
        raise cluster_failure(parse_address(address_text), exc) from exc
