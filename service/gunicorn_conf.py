"""gunicorn settings for ``make run`` and the Dockerfile.

Workers scale with the CPU count; each is a single-threaded sync process, and
XGBoost inside it uses one thread (OMP_NUM_THREADS=1, set here before any
worker imports xgboost), because several workers each letting XGBoost use
every core fight over the cores and collapse throughput about tenfold.

Hooks: ``on_starting`` (master, once) migrates the database before any
worker exists, so workers never race on a migration; Prometheus multi-process
metrics live in a fresh temporary folder removed on exit; a dead worker's
metric files are marked so its gauges drop out.
"""

import multiprocessing
import os
import shutil
import tempfile

os.environ["OMP_NUM_THREADS"] = "1"
_own_metrics_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = tempfile.mkdtemp(prefix="polisure-prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = 1
worker_class = "sync"
timeout = 30
# On SIGTERM workers finish the requests in hand for up to this long (seconds);
# under Docker's default 10 s stop timeout, so a quote in flight is never cut.
graceful_timeout = 9
keepalive = 5
# The app logs every request as JSON with its request id (service.ops.logs);
# gunicorn's own lines (boot, signals, worker deaths) use the same JSON format.
accesslog = None
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
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "alembic.runtime.migration": {"level": "INFO"},
    },
    "root": {"level": "WARNING", "handlers": ["console"]},
}
# No ~/.gunicorn control socket: unused here, and two servers would share its path.
control_socket_disable = True


def on_starting(server):  # type: ignore[no-untyped-def]
    from service.config import database_url_from_env
    from service.storage.migrate import upgrade_database

    upgrade_database(database_url_from_env())
    server.log.info("database schema is up to date")


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # type: ignore[no-untyped-def]
    if _own_metrics_dir:
        shutil.rmtree(_own_metrics_dir, ignore_errors=True)
