"""WSGI entry point for gunicorn: ``service.wsgi:app``.

Imported in each worker after the fork (no preload), so every worker has its
own database pool and quote engine, built here rather than on the first quote.
"""

import os

# Before anything imports xgboost: one OpenMP thread per worker process.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from service import create_app
from service.engine.slot import engine_slot
from service.ops.heap import freeze_long_lived
from service.ops.logs import configure_logging

configure_logging()
app = create_app()
engine_slot(app).problem()  # warm: load the bundle now; /readyz reports a failure
freeze_long_lived()  # the app and engine out of the collector's full passes
