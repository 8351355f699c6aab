"""Draw a bundle report's plots in a second process while training goes on.

The plots need only the holdout tables, yet cost one core ~0.3 s to import
matplotlib and ~0.5 s to draw. ``PlotWorker``, started when ``train`` starts,
imports matplotlib on the other core while the trainer imports XGBoost; it
draws the model's own plots (severity tail, one-way A/E) while the trainer
fits the GLM, and the comparison plots while it assembles the bundle. It is
spawned, not forked: by then the trainer runs OpenMP and Arrow thread pools,
which a fork would copy in an unknown state. The same matplotlib draws the
same bytes in either process (tests/training/reports/test_plot_worker.py).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from training.reports.drawn import DrawnPlot

_PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent dies
Tables = Mapping[str, Any]
#: Plots being drawn: call it for the captioned PNGs (waits for them).
PendingPlots = Callable[[], list[DrawnPlot]]
DrawPlots = Callable[[Tables], PendingPlots]


def _holdout_plots(tables: Tables) -> list[DrawnPlot]:
    # imported here: importing matplotlib is the cost this module moves off the trainer
    from training.reports.plots import holdout_plots

    return holdout_plots(tables)


def _start_worker(trainer_pid: int) -> None:
    """In the spawned worker: die with the trainer, leave its output, import matplotlib.

    A trainer killed with SIGKILL runs no cleanup, so without this the worker
    (and the resource tracker, which waits for it) outlives it holding the
    trainer's stdout open: ``train ... | tail -1`` would never return.
    """
    _die_with_parent(trainer_pid)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # results and errors travel back through the pool, not the terminal
    os.dup2(devnull, 2)
    os.close(devnull)
    import training.reports.plots  # noqa: F401


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the trainer died before the signal was armed
        os._exit(1)


def draw_here(tables: Tables) -> PendingPlots:
    """Draw in this process (library calls, ``make model``)."""
    images = _holdout_plots(tables)
    return lambda: images


class PlotWorker:
    """One spawned process that imports matplotlib now and draws on request."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            self._pool.submit(int)  # start the process, and so its import, now
        except OSError:  # no process or semaphore to be had: draw in this process
            self.close()

    def draw(self, tables: Tables) -> PendingPlots:
        # a worker that died (killed, out of memory, failed to start) leaves the
        # pool broken; the same plots are then drawn here
        if self._pool is None:
            return draw_here(tables)
        try:
            future = self._pool.submit(_holdout_plots, dict(tables))
        except BrokenProcessPool:
            return draw_here(tables)

        def result() -> list[DrawnPlot]:
            try:
                return future.result()
            except BrokenProcessPool:
                return _holdout_plots(tables)

        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PlotWorker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
