"""Single quotes that meet in one worker priced together: one engine batch, each its own answer.

Most of a single quote's engine time is fixed cost per call, not per city:
some hundreds of small numpy calls and the compiled loops' entry (issue 13:
in one process, 1.18 ms for a batch of one, 2.45 ms for four, 3.6 ms for
eight). A gunicorn worker runs several request threads, so under load it
holds several POST /v1/quotes at once; they take turns on the GIL anyway,
and pricing them in one ``quote_batch`` call pays the fixed cost once.

The rules, which keep every guarantee of a single quote:

- **Nobody waits for nothing.** A quote request is counted from its start
  (``enter``, before its authentication and validation) to its end
  (``leave``). The thread that will price waits while other counted requests
  are in the worker, but not yet waiting to be priced, and never longer than
  ``max_wait_s`` from its own arrival: those still on their way arrive, and
  those past the engine (storing, answering) finish, and their client's next
  quote may join. A quote alone in its worker goes straight to the engine,
  as before. (Waiting only for requests still on their way priced 1.7 quotes
  a call under wrk -c16; waiting for all of them, 2.94-3.11 ms of worker CPU
  a quote against 3.30-3.89, p99 48-57 ms against 56-69.)
- **Each item is its single quote.** ``QuoteEngine.quote_batch`` gives each
  item the bits ``quote`` gives it alone (the protocol's rule; tested for the
  model's engine), and items of different engines (a promotion in between)
  are never priced together.
- **Each request gets its own outcome.** If the batch raises, every item is
  priced again on its own with ``quote``, so a 422 reaches only the request
  that caused it, with the fields ``quote`` names.

Storage stays per request: each quote is still stored in its own
transaction before its 201 is sent (service.quotes.store).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, g, has_request_context, request

from service.engine.protocol import QuoteEngine
from service.ops.metrics import observe_engine_batch

#: (exposure, policy, marginal_tvar_usd): the arguments of ``QuoteEngine.quote``.
QuoteArgs = tuple[dict[str, Any], dict[str, Any], float]

MAX_WAIT_S = 0.003  # a few requests' checks or storing on this project's 2 cores
MAX_BATCH = 16  # more threads than a worker runs (WEB_THREADS 4)


class _Item:
    __slots__ = ("args", "done", "engine", "error", "result")

    def __init__(self, engine: QuoteEngine, args: QuoteArgs) -> None:
        self.engine = engine
        self.args = args
        self.done = False
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None


class QuoteCoalescer:
    """Prices the single quotes that meet in one process in one ``quote_batch`` call."""

    def __init__(self, max_wait_s: float = MAX_WAIT_S, max_batch: int = MAX_BATCH) -> None:
        self.max_wait_s = max_wait_s
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._pending: list[_Item] = []
        self._in_worker = 0  # quote requests started in this process and not ended
        self._pricing: int | None = None  # the thread pricing a batch: one batch at a time

    @property
    def in_worker(self) -> int:
        """Quote requests started in this process and not yet ended."""
        return self._in_worker

    def enter(self) -> None:
        """A quote request has started here: a batch may wait for it (at most ``max_wait_s``)."""
        with self._cond:
            self._in_worker += 1

    def leave(self) -> None:
        """A quote request that entered has ended (answered, refused or failed)."""
        with self._cond:
            self._in_worker = max(self._in_worker - 1, 0)
            self._cond.notify_all()

    def quote(
        self,
        engine: QuoteEngine,
        args: QuoteArgs,
        on_batch: Callable[[int], None] | None = None,
    ) -> dict[str, Any]:
        """``engine.quote(*args)``, priced in one batch with the quotes that meet it here.

        ``on_batch(size)`` is called when this caller prices a batch. Raises
        what ``engine.quote(*args)`` raises.
        """
        if self._pricing == threading.get_ident():  # re-entered from the engine it is running
            return engine.quote(*args)
        item = _Item(engine, args)
        deadline = time.monotonic() + self.max_wait_s
        with self._cond:
            self._pending.append(item)
            self._cond.notify_all()
            batch = self._await_turn(item, deadline)
        if batch:
            try:
                _price(engine, batch)
            finally:
                with self._cond:
                    self._pricing = None
                    self._cond.notify_all()
            if on_batch is not None:
                on_batch(len(batch))
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    def _await_turn(self, item: _Item, deadline: float) -> list[_Item]:
        """Wait (holding the condition) until ``item`` is priced, or take a batch to price."""
        while not item.done:
            if self._pricing is not None:
                self._cond.wait()
                continue
            same = [p for p in self._pending if p.engine is item.engine]
            remaining = deadline - time.monotonic()
            elsewhere = self._in_worker - len(self._pending)  # on their way, or past the engine
            if elsewhere > 0 and len(same) < self.max_batch and remaining > 0:
                self._cond.wait(remaining)  # let them arrive, or finish
                continue
            # its own quote and the longest waiting others (each row is priced on its own)
            batch = [item, *[p for p in same if p is not item][: self.max_batch - 1]]
            taken = {id(p) for p in batch}
            self._pending = [p for p in self._pending if id(p) not in taken]
            self._pricing = threading.get_ident()
            return batch
        return []


def _price(engine: QuoteEngine, batch: list[_Item]) -> None:
    """Each item's result or error: one batch call, or each alone if the batch fails."""
    try:
        results = None
        if len(batch) > 1:  # a batch of one is ``quote`` itself, with its own error fields
            try:
                results = engine.quote_batch([item.args for item in batch])
            except Exception:  # priced again one by one, below
                results = None
        if results is not None and len(results) == len(batch):
            for item, result in zip(batch, results, strict=True):
                item.result = result
        else:  # each request gets the outcome of its own quote
            for item in batch:
                try:
                    item.result = engine.quote(*item.args)
                except Exception as exc:  # raised again in its own thread
                    item.error = exc
    finally:  # even when the pricing thread is interrupted, no request waits for ever
        for item in batch:
            if item.result is None and item.error is None:
                item.error = RuntimeError("the quote's pricing was interrupted")
            item.done = True


#: The process's coalescer: gunicorn's worker threads share it.
COALESCER = QuoteCoalescer()

_FLAG = "polisure_quote_in_worker"


def init_blueprint(blueprint: Blueprint, endpoint: str, method: str = "POST") -> None:
    """Count each request to ``endpoint`` in the worker from its start to its end."""

    @blueprint.before_request
    def _enter() -> None:
        if request.endpoint == endpoint and request.method == method:
            setattr(g, _FLAG, True)
            COALESCER.enter()

    @blueprint.teardown_request
    def _leave(_exc: BaseException | None) -> None:
        if g.pop(_FLAG, False):
            COALESCER.leave()


def quote(engine: QuoteEngine, args: QuoteArgs) -> dict[str, Any]:
    """One quote through the process's coalescer (counted in a request's metrics)."""
    return COALESCER.quote(engine, args, observe_engine_batch if has_request_context() else None)
