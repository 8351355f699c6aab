"""CPU seconds the gunicorn workers spent, from the kernel's own accounting (/proc).

Requests per second on a shared 2-core machine move by 2-3x between runs
of the same code (other tenants' load, CPU steal); the CPU time a worker
spends per request does not count the time it was kept off the core, so
it compares phases and runs that throughput alone cannot (issue 13).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds(master_pid: int) -> float:
    """User + system CPU seconds of every live child of ``master_pid`` (the workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # after the ")" that ends the command name: state, ppid, ..., utime (14), stime (15)
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we read
        if int(fields[1]) == master_pid:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def with_worker_cpu(master_pid: int, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``run()``'s result plus ``cpu_ms``: the workers' CPU milliseconds per request it made."""
    before = workers_cpu_seconds(master_pid)
    result = run()
    spent = workers_cpu_seconds(master_pid) - before
    return {**result, "cpu_ms": 1000.0 * spent / max(result["n"], 1)}
