"""gunicorn settings for ``make run`` and the Dockerfile.

Workers scale with the CPU count; each runs ``WEB_THREADS`` (4) request
threads (gthread), so a client that trickles its body holds one thread, not
the worker, and /healthz keeps answering (the thread stays held until the
client finishes or drops; nothing here bounds a body's read time). XGBoost
inside uses one thread
(OMP_NUM_THREADS=1, set here before any worker imports xgboost), because
several workers each letting XGBoost use every core fight over the cores and
collapse throughput about tenfold. Slow headers (slowloris) are not bounded
by gunicorn itself: in production a buffering proxy sits in front
(docs/deployment.md).

Errors gunicorn answers before the app runs use the API's JSON shape, and
SIGTERM first drains for POLISURE_DRAIN_SECONDS (readyz 503, queued requests
served) before the graceful stop (service.ops.server_hooks).

Hooks: ``on_starting`` (master, once) migrates the database before any
worker exists, so workers never race on a migration; Prometheus multi-process
metrics live in a fresh temporary folder removed on exit; a dead worker's
metric files are marked so its gauges drop out.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

os.environ["OMP_NUM_THREADS"] = "1"
_drain_dir = tempfile.mkdtemp(prefix="polisure-drain-")
os.environ["POLISURE_DRAIN_FILE"] = str(Path(_drain_dir) / "draining")
_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = tempfile.mkdtemp(prefix="polisure-prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("WEB_THREADS", "4"))
# gthread, measured against sync for issue 13 (wrk -t2 -c16, 2 workers, alternating runs
# on a shared 2-core machine, load average 4-5): quotes 49.6 and 96.3 req/s with gthread
# against 86.5 and 72.5 with sync, and 4 threads against 2 (121/151 and 132/137 req/s):
# no difference the noise would not swallow, so the threads stay for what they buy (a
# trickling body holds a thread, not the worker; sync also drops keep-alive).
# Fewer threads lower the quote p99 (2026-12-06, best rounds: 39-48 ms with 2 threads
# against 55-79 with 4 at the same ~600 quotes/s; the threads of a worker share one
# interpreter lock, and quotes in flight are computed a slice at a time), but 2 threads
# failed tests/e2e/test_faults.py: 3 requests hung on a frozen PostgreSQL held both
# threads of one worker and a /healthz probe waited 2.0 s. The default stays 4.
worker_class = "gthread"
timeout = 30
# After the drain (POLISURE_DRAIN_SECONDS, 2 s) workers finish the requests in
# hand for up to this long; drain + this stay under Docker's 10 s stop timeout,
# so a quote in flight is never cut.
graceful_timeout = 7
keepalive = 5
# One listening socket for all workers (no reuse_port), measured both ways under wrk
# (issue 13): a shared socket goes to whichever worker wakes first, so a burst of 16
# connections opened at once split 12/4, 15/1 and 16/0 (one worker idle: half the
# throughput); with reuse_port the kernel hashes each connection to a worker's own
# socket, which split 16 well (10/6, 8/8, 9/7) but put 2 connections on one worker in
# 3 of 6 runs (245-253 quotes/s against 550-561), the shared socket in 2 of 12. Few
# kept-alive connections (a rating engine's, a proxy's pool as it grows) are the common
# case, and a shared backlog also survives a worker's kill -9.
# The app logs every request as JSON with its request id (service.ops.logs);
# gunicorn's own lines (boot, signals, worker deaths) use the same JSON format,
# and its access line, which logconfig_dict would turn on, is not written.
accesslog = None
logger_class = "service.ops.server_hooks.RequestsLoggedByTheApp"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.ops.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "alembic.runtime.migration": {"level": "INFO"},
    },
    "root": {"level": "WARNING", "handlers": ["console"]},
}
# No ~/.gunicorn control socket: unused here, and two servers would share its path.
control_socket_disable = True


def on_starting(server):  # type: ignore[no-untyped-def]
    from service.config import database_url_from_env
    from service.ops.server_hooks import install_json_errors
    from service.storage.migrate import upgrade_database

    install_json_errors()  # before any worker forks: they inherit it
    upgrade_database(database_url_from_env())
    server.log.info("database schema is up to date")


def when_ready(server):  # type: ignore[no-untyped-def]
    from service.ops.server_hooks import drain_on_term

    drain_on_term(server, Path(os.environ["POLISURE_DRAIN_FILE"]))


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    shutil.rmtree(_drain_dir, ignore_errors=True)
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
