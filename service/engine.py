"""The quote engine the service calls, and how the app gets one.

The service never prices anything itself: POST /v1/quotes validates the
body, calls ``engine.quote(exposure, policy)`` once, stores and returns the
result. Any object with this shape is an engine (``QuoteEngine``)::

    class QuoteEngine(Protocol):
        model_version: str        # bundle version, e.g. 2026-11-29T01-02-03Z-1a2b3c4d
        rating_plan_version: str  # the rating plan's own version string
        def quote(self, exposure: dict, policy: dict) -> dict: ...

``exposure`` is ExposureSchema's output (every model field, sets as lists,
``vendors`` only if sent); ``policy`` is PolicySchema's output: limit_usd and
retention_usd (USD floats), coverages (list in the documented order) and
period_days (int). ``quote`` returns a JSON-ready dict with at least
``decision`` ("quote" | "refer" | "decline") and the other fields of CONTRACT
§5 (see service.schemas.QuoteSchema); plain floats, no NaN. The service adds
``quote_id``, ``created_at``, ``model_version``, ``rating_plan_version`` and
the normalised ``policy``. For an input that passed the schemas but cannot be
priced, raise ``ValueError`` naming the field and rule (optionally with a
``fields`` attribute: {"policy.retention_usd": ["..."]}): the client gets a 422.

The engine is built by the "module:callable" in POLISURE_ENGINE (default
``models.quoting:load_quote_engine``), called with the models directory
(POLISURE_MODELS_DIR, or None for the project's own). Workers build it on
their first request (service.wsgi warms it at boot); a failed build is retried
at most every ``RETRY_SECONDS`` and reported by /readyz meanwhile. XGBoost
must use one thread per worker (nthread=1): the gunicorn config sets
OMP_NUM_THREADS=1 before anything imports xgboost.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from flask import Flask, current_app

from service.errors import ApiError

log = logging.getLogger("polisure.service")
EXTENSION_KEY = "polisure.engine"
RETRY_SECONDS = 30.0
DECISIONS = ("quote", "refer", "decline")


@runtime_checkable
class QuoteEngine(Protocol):
    """What the service needs from the pricing side (see the module docstring)."""

    model_version: str
    rating_plan_version: str

    def quote(self, exposure: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]: ...


EngineFactory = Callable[[str | None], QuoteEngine]


def resolve_factory(spec: str | EngineFactory) -> EngineFactory:
    """A factory from "package.module:callable" (or the callable itself)."""
    if callable(spec):
        return spec
    module_name, _, attribute = spec.partition(":")
    factory: EngineFactory = getattr(importlib.import_module(module_name), attribute)
    return factory


class EngineSlot:
    """Holds one app's engine: built lazily, rebuilt after a failure, never twice at once."""

    def __init__(
        self,
        factory: str | EngineFactory | None,
        models_dir: str | None,
        engine: QuoteEngine | None = None,
    ) -> None:
        self._factory = factory
        self._models_dir = models_dir
        self._engine = engine
        self._error: str | None = None
        self._failed_at = float("-inf")

    def get(self) -> QuoteEngine:
        """The engine; ApiError 503 (with the reason) if it cannot be built."""
        if self._engine is None:
            self._try_build()
        if self._engine is None:
            raise ApiError(503, f"The quote engine is not available: {self._error}")
        return self._engine

    def _try_build(self) -> None:
        if self._factory is None:
            self._error = "no engine configured"
            return
        if time.monotonic() - self._failed_at < RETRY_SECONDS:
            return
        try:
            engine = resolve_factory(self._factory)(self._models_dir)
        except Exception as exc:  # any failure: keep serving health, report why
            self._failed_at = time.monotonic()
            self._error = f"{type(exc).__name__}: {exc}"[:300]
            log.error("quote engine failed to load", extra={"reason": self._error})
            return
        if not isinstance(engine, QuoteEngine):
            self._failed_at = time.monotonic()
            self._error = f"{type(engine).__name__} does not implement QuoteEngine"
            return
        self._engine, self._error = engine, None
        log.info(
            "quote engine loaded",
            extra={
                "model_version": engine.model_version,
                "rating_plan_version": engine.rating_plan_version,
            },
        )

    def problem(self) -> str | None:
        """None when an engine is ready, else why not (for /readyz)."""
        try:
            self.get()
        except ApiError as exc:
            return exc.message
        return None


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = EngineSlot(
        app.config.get("POLISURE_ENGINE"),
        app.config.get("POLISURE_MODELS_DIR"),
        engine=app.config.get("POLISURE_QUOTE_ENGINE"),
    )


def get_engine(app: Flask | None = None) -> QuoteEngine:
    slot: EngineSlot = (app or current_app).extensions[EXTENSION_KEY]
    return slot.get()


def engine_slot(app: Flask | None = None) -> EngineSlot:
    slot: EngineSlot = (app or current_app).extensions[EXTENSION_KEY]
    return slot
