"""Report plots drawn in a spawned worker: the same bytes as drawn here, in report order."""

from __future__ import annotations

import base64
import multiprocessing

import numpy as np
import pytest

from tests.training.evaluation.cause_book import cause_book, flat_mix
from training.evaluation.holdout import TailFitShown, evaluate_holdout, evaluate_model
from training.fitting.tail import fit_gpd, gpd_quantile
from training.reports.plot_worker import PlotWorker, draw_here
from training.reports.plots import holdout_plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def evaluation():
    book = cause_book(2000, 31)
    h = book.holdout
    model, glm = book.exact("xgboost"), flat_mix(book, "glm")
    excess = gpd_quantile(np.random.default_rng(3).random(200), 0.2, 0.5)
    tails = [TailFitShown("all causes", fit_gpd(excess, z_u=1.3), excess)]
    null_rate = float(h.claim_counts.sum() / h.exposure_years.sum())
    checks = evaluate_model(h, model, tails)
    result = evaluate_holdout(h, model, glm, null_rate=null_rate, model_checks=checks)
    return checks, result, evaluate_holdout(h, model, glm, null_rate=null_rate, tails=tails)


def test_model_checks_given_or_computed_give_the_same_evaluation(evaluation):
    checks, given, computed = evaluation
    assert given == computed
    for name, table in checks["tables"].items():
        assert given["tables"][name] == table


def test_plots_of_a_part_of_the_tables_are_that_part_of_the_report(evaluation):
    checks, result, _ = evaluation
    every = holdout_plots(result["tables"])
    # Lorenz, deciles, double lift vs GLM, A/E by cause, two cause mixes; tail QQ and
    # mean excess, severity tail check, one-way
    assert len(every) == 10
    assert all(base64.b64decode(plot.png).startswith(PNG_SIGNATURE) for plot in every)
    comparison = {k: v for k, v in result["tables"].items() if k not in checks["tables"]}
    assert holdout_plots(comparison) + holdout_plots(checks["tables"]) == every


def test_the_worker_draws_the_same_bytes_as_this_process(evaluation):
    _, result, _ = evaluation
    with PlotWorker() as worker:
        pending = worker.draw(result["tables"])
        assert pending() == draw_here(result["tables"])()


def test_a_worker_that_died_is_replaced_by_drawing_here(evaluation):
    checks, _, _ = evaluation
    with PlotWorker() as worker:
        children = multiprocessing.active_children()
        assert children  # the worker starts with the PlotWorker, before any draw
        for child in children:
            child.kill()
            child.join()
        assert worker.draw(checks["tables"])() == holdout_plots(checks["tables"])


_TRAINER = """
import sys, time
from training.reports.plot_worker import PlotWorker
worker = PlotWorker()
worker._pool.submit(int).result()  # the worker process is up (and its import under way)
print("ready", flush=True)
time.sleep(120)
"""


def test_a_trainer_killed_with_sigkill_leaves_no_process_holding_its_output(tmp_path):
    # Before the fix the spawned worker and multiprocessing's resource tracker
    # outlived the trainer with its stdout open: a pipe reader never saw EOF.
    import os
    import select
    import signal
    import subprocess
    import sys
    import time

    trainer = subprocess.Popen(
        [sys.executable, "-c", _TRAINER], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert trainer.stdout is not None
    assert trainer.stdout.readline() == b"ready\n"
    os.kill(trainer.pid, signal.SIGKILL)
    trainer.wait(timeout=10)
    deadline, chunk = time.monotonic() + 30, b"x"
    while chunk and time.monotonic() < deadline:
        readable, _, _ = select.select([trainer.stdout], [], [], 1.0)
        if readable:
            chunk = os.read(trainer.stdout.fileno(), 4096)
    trainer.stdout.close()
    assert chunk == b"", "a child of the killed trainer still holds its stdout open"
