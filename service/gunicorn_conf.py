"""gunicorn settings for ``make run`` and the Dockerfile.

Workers scale with the CPU count; each is a single-threaded process, and
XGBoost inside it uses one thread, because several workers each letting
XGBoost use every core fight over the cores and collapse throughput.
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = 1
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
