"""The ACTIVE pointer as a worker sees it, and the metrics of what each worker serves.

Checking for a promotion must cost next to nothing, because a worker does it
on a request: one ``os.stat`` of the ACTIVE file, no read, no parse. The
metrics are registered in the app's own registry (service.ops.metrics) when
the app is created. Under gunicorn they are per worker (prometheus_client
multi-process mode): ``polisure_model_info`` is a "liveall" gauge, so
/metrics lists one series per live worker with its ``pid`` label.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge

from service.engine.protocol import QuoteEngine


def active_pointer_signature(pointer: Path) -> tuple[int, int, int] | None:
    """(inode, mtime ns, size) of the ACTIVE file, None if absent: a cheap change test.

    Promotion replaces the file (a new inode), so even a promotion within one
    mtime tick to a name of the same length is seen.
    """
    try:
        stat = os.stat(pointer)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def read_active_pointer(pointer: Path) -> str | None:
    try:
        return pointer.read_text().strip() or None
    except FileNotFoundError:
        return None


class EngineMetrics:
    """``polisure_model_info`` and ``polisure_model_reloads_total`` of one app's engine."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        # "liveall": one series per live worker (label pid), so each worker's version shows.
        self.model_info = Gauge(
            "polisure_model_info",
            "Model version a worker serves: 1 for the version in use, 0 for one it served before.",
            ["version"],
            multiprocess_mode="liveall",
            registry=registry,
        )
        self.reloads = Counter(
            "polisure_model_reloads_total",
            "Reloads after a promotion, by outcome (loaded, or failed: the old model kept serving).",
            ["outcome"],
            registry=registry,
        )

    def publish_model_version(self, previous: QuoteEngine | None, engine: QuoteEngine) -> None:
        """Set ``polisure_model_info``: 1 for the version served, 0 for the last one."""
        if previous is not None and previous.model_version != engine.model_version:
            self.model_info.labels(version=previous.model_version).set(0)
        self.model_info.labels(version=engine.model_version).set(1)

    def count_reload(self, outcome: str) -> None:
        """One reload after a promotion: ``loaded`` or ``failed``."""
        self.reloads.labels(outcome=outcome).inc()
