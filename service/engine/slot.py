"""The app's quote engine: how the app gets one, and how it follows promotions.

The service uses the engine only through service.engine.protocol.QuoteEngine
(``quote``, the two versions, ``reference_exposures``, ``self_assessor``).

The engine is built by the "module:callable" in POLISURE_ENGINE (default
``models.underwriting.quote_engine:load_quote_engine``), called with the models directory
(POLISURE_MODELS_DIR, or None for the project's own). Workers build it on
their first request (service.wsgi warms it at boot). XGBoost uses one thread
per worker: the gunicorn config sets OMP_NUM_THREADS=1 before any import.

Hot reload (a promotion without a restart; the service's only reload
mechanism): a factory-built engine follows the registry's ACTIVE pointer. At
most every ``RELOAD_CHECK_SECONDS`` a request stats the ACTIVE file (inode,
mtime, size: no read, no parse); when it changed, the new engine is built
completely (manifest verified, boosters loaded) while the old one keeps
serving, and only then is the reference swapped. A view takes the engine once
per request and prices only with it, so a quote is never half one version,
half another. A bundle that fails to load (or an ACTIVE that vanished) leaves
the old engine serving; /readyz and the metric
``polisure_model_reloads_total{outcome="failed"}`` report it. A failed load
(first build or reload) is retried when ACTIVE changes, else after
``RETRY_SECONDS``; /readyz gives the reason meanwhile. Each worker
exports the version it serves as ``polisure_model_info{version, pid} 1``.
An engine handed in ready-made (tests) is fixed and never reloaded.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from prometheus_client import CollectorRegistry

from models.versions.registry import ACTIVE_FILE, resolve_models_dir
from service.engine.pointer import EngineMetrics, active_pointer_signature, read_active_pointer
from service.engine.protocol import EngineFactory, QuoteEngine
from service.http.errors import ApiError
from service.ops.heap import refreeze, thaw
from service.ops.metrics import app_metrics

log = logging.getLogger("polisure.service")
EXTENSION_KEY = "polisure.engine"
RETRY_SECONDS = 30.0
#: How often (seconds, per worker) a request may stat ACTIVE for a promotion.
RELOAD_CHECK_SECONDS = 0.5
#: Seconds after a swap in a frozen worker before its heap is frozen again. A request
#: holds the engine only while its view runs (pricing, a few seconds for 1,000 cities,
#: and storage under the database deadlines), so the old one is unused by then; one
#: still held at the refreeze would stay in memory for good.
REFREEZE_AFTER_S = 60.0
DECISIONS = ("quote", "refer", "decline")


def resolve_factory(spec: str | EngineFactory) -> EngineFactory:
    """A factory from "package.module:callable" (or the callable itself)."""
    if callable(spec):
        return spec
    module_name, _, attribute = spec.partition(":")
    factory: EngineFactory = getattr(importlib.import_module(module_name), attribute)
    return factory


class EngineSlot:
    """Holds one app's engine: built lazily, rebuilt after a failure, reloaded on promotion."""

    def __init__(
        self,
        factory: str | EngineFactory | None,
        models_dir: str | None,
        engine: QuoteEngine | None = None,
        *,
        check_seconds: float = RELOAD_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        metrics: EngineMetrics | None = None,
    ) -> None:
        # A slot built outside an app (tests) gets a registry of its own.
        self.metrics = metrics or EngineMetrics(CollectorRegistry())
        self._factory = factory
        self._models_dir = models_dir
        self._engine = engine
        self._error: str | None = None
        # Only a factory-built engine follows ACTIVE; a handed-in one is fixed.
        self.pointer: Path | None = None
        if engine is None and factory is not None:
            self.pointer = resolve_models_dir(models_dir) / ACTIVE_FILE
        self._signature: tuple[int, int, int] | None = None
        self._checked_at = float("-inf")
        self._check_seconds = check_seconds
        self._clock = clock
        self.reload_error: str | None = None
        # (ACTIVE signature, time) of the last failed load: not retried before
        # RETRY_SECONDS unless ACTIVE changes (e.g. a fixing promotion).
        self._failed: tuple[tuple[int, int, int] | None, float] | None = None
        self._lock = threading.Lock()
        self._refreeze_at: float | None = None  # after a swap in a frozen worker (ops/heap.py)
        if engine is not None:
            self.metrics.publish_model_version(None, engine)

    def get(self) -> QuoteEngine:
        """The engine; ApiError 503 (with the reason) if it cannot be built."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._try_build()
        elif self.pointer is not None and self._clock() - self._checked_at >= self._check_seconds:
            self._check_pointer()
        engine = self._engine
        if engine is None:
            raise ApiError(503, f"The quote engine is not available: {self._error}")
        return engine

    def check_now(self) -> None:
        """Look at ACTIVE now (after a promotion in this worker), not at the next interval."""
        self._checked_at = float("-inf")
        self.problem()

    def _signature_now(self) -> tuple[int, int, int] | None:
        return active_pointer_signature(self.pointer) if self.pointer else None

    def _may_retry(self, signature: tuple[int, int, int] | None, now: float) -> bool:
        if self._failed is None:
            return True
        failed_signature, failed_at = self._failed
        return signature != failed_signature or now - failed_at >= RETRY_SECONDS

    def _build(self) -> QuoteEngine:
        assert self._factory is not None  # callers check
        engine = resolve_factory(self._factory)(self._models_dir)
        # The one runtime check: POLISURE_ENGINE names any callable, which mypy cannot see.
        if not isinstance(engine, QuoteEngine):
            raise TypeError(f"{type(engine).__name__} does not implement QuoteEngine")
        return engine

    def _public_reason(self, exc: Exception) -> str:
        """Why the engine failed, for clients and probes: no absolute paths of this host.

        The log keeps the whole message; the 503 and /readyz name files
        relative to the models directory.
        """
        text = f"{type(exc).__name__}: {exc}"
        if self.pointer is not None:
            root = str(self.pointer.parent)
            text = text.replace(root + "/", "").replace(root, "the models directory")
        return text[:300]

    def _try_build(self) -> None:
        if self._factory is None:
            self._error = "no engine configured"
            return
        now = self._clock()
        # The signature is taken before the build: a promotion during it is seen next time.
        signature = self._signature_now()
        if not self._may_retry(signature, now):
            return
        try:
            engine = self._build()
        except Exception as exc:  # any failure: keep serving health, report why
            self._failed = (signature, now)
            log.error("quote engine failed to load", extra={"reason": f"{exc}"})
            self._error = self._public_reason(exc)
            return
        self._signature, self._checked_at, self._failed = signature, now, None
        self._swap(engine)

    def _check_pointer(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # another thread is reloading; this request uses the current engine
        try:
            if self._refreeze_at is not None and self._clock() >= self._refreeze_at:
                self._refreeze_at = None
                refreeze()  # the old engine's requests are over: collect it, freeze the rest
            self._reload_if_moved()
        finally:
            self._lock.release()

    def _reload_if_moved(self) -> None:
        assert self.pointer is not None and self._engine is not None  # get() checked
        now = self._clock()
        self._checked_at = now
        signature = active_pointer_signature(self.pointer)
        if signature == self._signature or not self._may_retry(signature, now):
            return
        if read_active_pointer(self.pointer) == self._engine.model_version:
            # Rewritten with the same name (e.g. a retrain that promoted the same bundle).
            self._signature, self.reload_error, self._failed = signature, None, None
            return
        try:
            engine = self._build()  # fully loaded before it replaces anything
        except Exception as exc:  # the old engine keeps serving
            self.reload_error = self._public_reason(exc)
            self._failed = (signature, now)
            self.metrics.count_reload("failed")
            log.error(
                "promoted model failed to load; the previous one keeps serving",
                extra={"reason": f"{exc}", "model_version": self._engine.model_version},
            )
            return
        self._signature, self.reload_error, self._failed = signature, None, None
        self.metrics.count_reload("loaded")
        self._swap(engine)

    def _swap(self, engine: QuoteEngine) -> None:
        previous, self._engine, self._error = self._engine, engine, None
        self.metrics.publish_model_version(previous, engine)
        log.info(
            "quote engine loaded",
            extra={
                "model_version": engine.model_version,
                "previous_model_version": previous.model_version if previous else None,
                "rating_plan_version": engine.rating_plan_version,
            },
        )
        if previous is not None and thaw():  # the old engine collectable once unused
            self._refreeze_at = self._clock() + REFREEZE_AFTER_S

    def problem(self) -> str | None:
        """None when an engine is ready, else why not (for /readyz)."""
        try:
            self.get()
        except ApiError as exc:
            return exc.message
        return None

    def active_version(self) -> str | None:
        """The version ACTIVE names now (None without a pointer), for /readyz."""
        return read_active_pointer(self.pointer) if self.pointer else None


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = EngineSlot(
        app.config.get("POLISURE_ENGINE"),
        app.config.get("POLISURE_MODELS_DIR"),
        engine=app.config.get("POLISURE_QUOTE_ENGINE"),
        check_seconds=app.config.get("POLISURE_MODEL_CHECK_SECONDS", RELOAD_CHECK_SECONDS),
        metrics=EngineMetrics(app_metrics(app).registry),
    )


def get_engine(app: Flask | None = None) -> QuoteEngine:
    slot: EngineSlot = (app or current_app).extensions[EXTENSION_KEY]
    return slot.get()


def engine_slot(app: Flask | None = None) -> EngineSlot:
    slot: EngineSlot = (app or current_app).extensions[EXTENSION_KEY]
    return slot
