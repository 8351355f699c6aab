"""The real server for end-to-end tests and the service benchmark.

``serve`` runs gunicorn with the project's config (2 workers, a temporary
SQLite database) from the repository root, as ``make run`` does; keys are made
with the operator CLI (``python -m service keys create``) exactly as the README
tells an operator. The quote engine is the real one on the shipped default
bundle (models/bundles); E2E_ENGINE selects another factory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
#: A server worker and the test process price the same quote with BLAS sums split
#: by their own thread counts: equal to ~1e-12 relative, not to the last bit.
CROSS_PROCESS_REL = 1e-9
ENGINE = os.environ.get("E2E_ENGINE", "models.underwriting.quote_engine:load_quote_engine")


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]

    def create_key(self, tenant: str, role: str = "insurer") -> str:
        result = subprocess.run(
            [sys.executable, "-m", "service", "keys", "create", "--tenant", tenant, "--role", role],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    tmp: Path, start_timeout_s: float = START_TIMEOUT_S, **env_overrides: str
) -> Iterator[Server]:
    """Run gunicorn with the project's config on a free port until the block ends.

    ``env_overrides`` replace the defaults below (database, engine, rate limit,
    2 workers); the server is ready (GET /readyz is 200) when the block starts,
    or RuntimeError (with the end of its log) after ``start_timeout_s`` seconds.
    """
    port = _free_port()
    env = {
        **os.environ,
        "POLISURE_DATABASE_URL": f"sqlite:///{tmp / 'polisure.sqlite3'}",
        "POLISURE_ENGINE": ENGINE,
        "POLISURE_RATE_LIMIT": "40 per minute",
        "POLISURE_BOOK_CACHE_DIR": str(tmp / "book-cache"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        **env_overrides,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = tmp / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "service/gunicorn_conf.py",
                "service.wsgi:app",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    srv = Server(f"http://127.0.0.1:{port}", env, log_path, process)
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{srv.base_url}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or workers still booting
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not ready: {log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield srv
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # graceful: finish requests, then exit
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
